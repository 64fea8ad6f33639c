package io.vireo.flowtable.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpPrefixTest
{
    @Test
    void parsesIpv4()
    {
        final IpPrefix prefix = IpPrefix.parse("10.1.0.0/16");

        assertTrue(prefix.isIpv4());
        assertEquals(0x0A01_0000L, prefix.low());
        assertEquals(0, prefix.high());
        assertEquals(16, prefix.length());
        assertEquals(IpPrefix.ipv4(0x0A01_0000, 16), prefix);
    }

    @Test
    void parsesIpv6WithCompressionAndAnIpv4Tail()
    {
        final IpPrefix prefix = IpPrefix.parse("fd00:1::/32");

        assertFalse(prefix.isIpv4());
        assertEquals(0xFD00_0001_0000_0000L, prefix.high());
        assertEquals(0, prefix.low());
        assertEquals(IpPrefix.ipv6(0, 0xFFFF_C000_0201L, 128), IpPrefix.parse("::ffff:192.0.2.1"));
        assertEquals(IpPrefix.ipv6(0x2001_0DB8_0000_0000L, 1, 128), IpPrefix.parse("2001:DB8:0:0:0:0:0:1"));
        assertEquals(IpPrefix.ipv6(0, 0, 0), IpPrefix.parse("::/0"));
    }

    @Test
    void aBareAddressIsOneHost()
    {
        assertEquals(32, IpPrefix.parse("192.168.1.7").length());
        assertEquals(128, IpPrefix.parse("fe80::1").length());
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.0.0.0/8",
        "0.0.0.0/0, 0.0.0.0/0",
        "255.255.255.255, 255.255.255.255/32",
        "2001:db8:0:0:1:0:0:1/128, 2001:db8::1:0:0:1/128",
        "2001:0db8:0000:0000:0000:0000:0000:0000/32, 2001:db8::/32",
        "0:0:0:0:0:0:0:1, ::1/128",
        "1:0:0:1:0:0:0:0/64, 1:0:0:1::/64",
        "1:0:2:0:3:0:4:0/128, 1:0:2:0:3:0:4:0/128",
        "8000::/1, 8000::/1"
    })
    void formatsCanonically(final String text, final String canonical)
    {
        assertEquals(canonical, IpPrefix.parse(text).toString());
        assertEquals(IpPrefix.parse(text), IpPrefix.parse(canonical));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/33      | IPv4 prefix length must be 0..32: 33",
        "fd00::/129       | IPv6 prefix length must be 0..128: 129",
        "10.0.0.1/8       | 10.0.0.1/8 has host bits set; the network is 10.0.0.0/8",
        "fd00::1/64       | fd00::1/64 has host bits set; the network is fd00::/64",
        "10.0.0/8         | invalid IP prefix \"10.0.0/8\": expected an IPv4 address a.b.c.d or an IPv6 address",
        "10.0.0.256       | invalid IP prefix \"10.0.0.256\": IPv4 octets are decimal numbers 0..255 without leading zeros: \"256\"",
        "10.0.0.01        | invalid IP prefix \"10.0.0.01\": IPv4 octets are decimal numbers 0..255 without leading zeros: \"01\"",
        "10.0.0.0/x       | invalid IP prefix \"10.0.0.0/x\": the prefix length after '/' must be a decimal number",
        "1::2::3          | invalid IP prefix \"1::2::3\": '::' may appear once",
        "1:2:3:4:5:6:7    | invalid IP prefix \"1:2:3:4:5:6:7\": an IPv6 address has 8 groups of 16 bits, or fewer with '::'",
        "1:2:3:4::5:6:7:8 | invalid IP prefix \"1:2:3:4::5:6:7:8\": an IPv6 address has 8 groups of 16 bits, or fewer with '::'",
        "12345::          | invalid IP prefix \"12345::\": IPv6 groups are 1 to 4 hex digits: \"12345\"",
        "1.2.3.4::        | invalid IP prefix \"1.2.3.4::\": IPv6 groups are 1 to 4 hex digits: \"1.2.3.4\""
    })
    void rejectsWhatIsNotAPrefixSayingWhy(final String text, final String message)
    {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(text)).getMessage());
    }
}
