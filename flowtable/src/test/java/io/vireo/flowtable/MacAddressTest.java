package io.vireo.flowtable;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MacAddressTest
{
    @Test
    void parsesColonSeparatedOctetsMostSignificantFirst()
    {
        assertEquals(0x0200_0000_000aL, MacAddress.parse("02:00:00:00:00:0a"));
        assertEquals(0x0123_4567_89abL, MacAddress.parse("01:23:45:67:89:ab"));
    }

    @Test
    void parsesDashesAndUpperCase()
    {
        assertEquals(0xAABB_CCDD_EEFFL, MacAddress.parse("AA-BB-CC-DD-EE-FF"));
        assertEquals(0xAABB_CCDD_EEFFL, MacAddress.parse("aA:Bb:cC:dD:eE:Ff"));
    }

    @Test
    void formatsLowerCaseWithColons()
    {
        assertEquals("02:00:00:00:00:0a", MacAddress.format(0x0200_0000_000aL));
        assertEquals("ff:ff:ff:ff:ff:ff", MacAddress.format(MacAddress.BROADCAST));
        assertEquals("00:00:00:00:00:00", MacAddress.format(0));
    }

    @Test
    void formatThenParseRoundTrips()
    {
        final long mac = 0x9C_EB_E8_01_02_03L;
        assertEquals(mac, MacAddress.parse(MacAddress.format(mac)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "02:00:00:00:00", "02:00:00:00:00:0a:0b", "02:00:00:00:00:0", "2:00:00:00:00:0a0",
        "02:00:00:00:00:0g", "02:00-00:00:00:0a", "02.00.00.00.00.0a", "0200:0000:000a", "02:00:00:00:00:+a",
        "02:00:00:00:00:\u0660a", " 02:00:00:00:00:0"
    })
    void rejectsMalformedTextWithMessageNamingIt(final String text)
    {
        final IllegalArgumentException thrown =
            assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(text));
        assertTrue(thrown.getMessage().contains("\"" + text + "\""), thrown.getMessage());
    }

    @Test
    void formatRejectsMoreThan48Bits()
    {
        assertThrows(IllegalArgumentException.class, () -> MacAddress.format(1L << 48));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.format(-1));
    }

    @Test
    void classifiesGroupBroadcastAndZeroAddresses()
    {
        assertTrue(MacAddress.isMulticast(MacAddress.parse("01:00:5e:00:00:01")));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("33:33:00:00:00:01")));
        assertTrue(MacAddress.isMulticast(MacAddress.BROADCAST));
        assertFalse(MacAddress.isMulticast(MacAddress.parse("02:00:00:00:00:0a")));
        assertFalse(MacAddress.isMulticast(MacAddress.parse("00:01:00:00:00:00")));

        assertTrue(MacAddress.isBroadcast(MacAddress.parse("ff:ff:ff:ff:ff:ff")));
        assertFalse(MacAddress.isBroadcast(MacAddress.parse("ff:ff:ff:ff:ff:fe")));

        assertTrue(MacAddress.isZero(MacAddress.parse("00:00:00:00:00:00")));
        assertFalse(MacAddress.isZero(MacAddress.parse("00:00:00:00:00:01")));
    }

    @Test
    void readsAndWritesNetworkByteOrderAtAnyOffset()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        final long mac = MacAddress.parse("02:11:22:33:44:55");

        MacAddress.write(buffer, 3, mac);

        final byte[] bytes = new byte[6];
        buffer.getBytes(3, bytes);
        assertArrayEquals(new byte[]{ 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, bytes);
        assertEquals(0, buffer.getByte(2));
        assertEquals(0, buffer.getByte(9));
        assertEquals(mac, MacAddress.read(buffer, 3));
    }

    @Test
    void readsHighOctetsWithoutSignExtension()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[]{ (byte)0xff, (byte)0xfe, (byte)0xfd, (byte)0xfc, (byte)0xfb, (byte)0xfa });
        assertEquals(0xFFFE_FDFC_FBFAL, MacAddress.read(buffer, 0));
    }
}
