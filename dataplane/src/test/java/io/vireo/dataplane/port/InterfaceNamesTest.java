package io.vireo.dataplane.port;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterfaceNamesTest
{
    @Test
    void acceptsWhatTheKernelAccepts()
    {
        assertEquals("tapA", InterfaceNames.validate("tapA"));
        assertEquals("a-b_c.d012345xy", InterfaceNames.validate("a-b_c.d012345xy"));
    }

    @Test
    void refusesWithAMessageNamingTheProblem()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InterfaceNames.validate("sixteen-chars-xx"))
            .getMessage().contains("limit is 15"));
        assertThrows(IllegalArgumentException.class, () -> InterfaceNames.validate(""));
        assertThrows(IllegalArgumentException.class, () -> InterfaceNames.validate(null));
        assertThrows(IllegalArgumentException.class, () -> InterfaceNames.validate("a/b"));
        assertThrows(IllegalArgumentException.class, () -> InterfaceNames.validate("a b"));
        assertThrows(IllegalArgumentException.class, () -> InterfaceNames.validate("a:1"));
        assertThrows(IllegalArgumentException.class, () -> InterfaceNames.validate(".."));
    }
}
