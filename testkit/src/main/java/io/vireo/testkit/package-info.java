/**
 * Helpers the tests of every module share, taken as a test-scoped dependency and never shipped:
 * {@link io.vireo.testkit.Allocations}, the check that a hot path allocates nothing in steady state;
 * {@link io.vireo.testkit.EtcdServer}, a real etcd process (one member or a cluster) to test against.
 */
package io.vireo.testkit;
