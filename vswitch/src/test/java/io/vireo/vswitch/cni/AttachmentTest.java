package io.vireo.vswitch.cni;

import io.vireo.dataplane.port.InterfaceNames;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Port names: valid interface names, the same for every call about one attachment, distinct between two. */
class AttachmentTest
{
    @Test
    void thePortNameIsDerivedFromContainerAndInterface()
    {
        final String name = Attachment.portName("4a7d1ed414474e4033ac29ccb8653d9b4a7d1ed414474e4033ac29ccb8653d9b", "eth0");
        assertEquals(name, InterfaceNames.validate(name));
        assertEquals(14, name.length());
        assertEquals(name, Attachment.portName("4a7d1ed414474e4033ac29ccb8653d9b4a7d1ed414474e4033ac29ccb8653d9b", "eth0"));
        assertNotEquals(name, Attachment.portName("4a7d1ed414474e4033ac29ccb8653d9b4a7d1ed414474e4033ac29ccb8653d9b", "net1"));
        assertNotEquals(name, Attachment.portName("4a7d1ed41447", "eth0"));
        assertEquals("vc", name.substring(0, 2));
    }
}
