/**
 * Helpers the tests of every module share, taken as a test-scoped dependency and never shipped:
 * {@link io.vireo.testkit.Allocations}, the check that a hot path allocates nothing in steady state.
 */
package io.vireo.testkit;
