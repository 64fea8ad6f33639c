/**
 * What Vireo's commands share, whichever package they live in ({@code vireod} and {@code vireoctl} in
 * {@code cli}, {@code vireo-cni} in {@code cni}, {@code vireo-docker} in {@code docker}): the daemon's
 * {@link io.vireo.vswitch.launch.RunDir} and the files in it, how a picocli command runs and fails
 * ({@link io.vireo.vswitch.launch.Commands}), and the signals that stop a foreground process
 * ({@link io.vireo.vswitch.launch.StopSignal}).
 */
package io.vireo.vswitch.launch;
