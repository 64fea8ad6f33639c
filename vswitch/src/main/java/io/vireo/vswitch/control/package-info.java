/**
 * The control API: HTTP/JSON on the daemon's unix socket (Netty epoll), the server and the client
 * {@code vireoctl} uses.
 */
package io.vireo.vswitch.control;
