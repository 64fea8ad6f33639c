package io.vireo.vswitch.cni;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CniArgsTest
{
    @Test
    void podmansMacIsRead()
    {
        assertEquals("02:00:5e:10:00:01", CniArgs.parse("IgnoreUnknown=1;MAC=02:00:5e:10:00:01").mac());
        assertNull(CniArgs.parse(null).mac());
        assertNull(CniArgs.parse("").mac());
        assertNull(CniArgs.parse("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web").mac());
    }

    @Test
    void anUnknownKeyNeedsIgnoreUnknown()
    {
        final CniException unknown = assertThrows(CniException.class, () -> CniArgs.parse("COLOUR=blue"));
        assertEquals(CniException.INVALID_ENVIRONMENT, unknown.code());
        assertTrue(unknown.getMessage().contains("unknown CNI_ARGS key COLOUR"), unknown.getMessage());
        assertNull(CniArgs.parse("IgnoreUnknown=true;COLOUR=blue").mac());
        assertEquals(CniException.INVALID_ENVIRONMENT, assertThrows(CniException.class, () -> CniArgs.parse("MAC")).code());
    }
}
