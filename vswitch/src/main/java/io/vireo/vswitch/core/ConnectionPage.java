package io.vireo.vswitch.core;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A page of a router's tracked connections: a table may hold millions, more than one answer should carry.
 *
 * @param router      the router.
 * @param connections up to the page's limit of them.
 * @param next        where the next page starts (the {@code from} to ask for), or null: the listing is complete.
 *                    Connections that live through a whole listing appear in it exactly once, none twice.
 */
public record ConnectionPage(
    String router, List<ConnectionInfo> connections, @JsonInclude(JsonInclude.Include.NON_NULL) Integer next)
{
}
