/**
 * {@code vireo-docker}, the Docker network driver: Docker's libnetwork remote driver protocol (HTTP/JSON on
 * {@code /run/docker/plugins/vireo.sock}) served with Netty, each Docker network a Vireo bridge and each
 * joined endpoint a TAP port that Docker moves into the container.
 * <pre>
 *  dockerd ──POST /NetworkDriver.*──▶ PluginServer ──▶ NetworkDriver ──ControlChannel──▶ vireod (vireo.sock)
 *                                                          └─▶ DriverState (JSON file: networks, endpoints)
 * </pre>
 */
package io.vireo.vswitch.docker;
