/**
 * The control API: HTTP/JSON on the daemon's unix socket (Netty epoll), the server and the client
 * {@code vireoctl} uses; the Prometheus metrics endpoint; and {@link io.vireo.vswitch.control.HttpResponder},
 * how these servers and the Docker plugin's take requests and write responses.
 */
package io.vireo.vswitch.control;
