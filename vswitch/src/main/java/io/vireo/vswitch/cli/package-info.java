/** The commands users run: {@code vireod}, the daemon, and {@code vireoctl}, its CLI. */
package io.vireo.vswitch.cli;
