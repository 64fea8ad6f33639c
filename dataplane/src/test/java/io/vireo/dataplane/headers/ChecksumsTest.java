package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.ipv4PseudoHeader;
import static io.vireo.dataplane.headers.TestBuffers.ipv6PseudoHeader;
import static io.vireo.dataplane.headers.TestBuffers.referenceChecksum;
import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ChecksumsTest
{
    @Test
    void matchesTheRfc1071Example()
    {
        // RFC 1071 section 3: these bytes sum to 2ddf0, which folds to ddf2.
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes("0001 f203 f4f5 f6f7"));

        assertEquals(0xDDF2, Checksums.fold(Checksums.sum(buffer, 0, 8)));
        assertEquals(0x220D, Checksums.checksum(buffer, 0, 8));
    }

    @Test
    void padsAnOddLastByteWithZero()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes("0102 0304 05"));

        assertEquals(0x0102 + 0x0304 + 0x0500, Checksums.fold(Checksums.sum(buffer, 0, 5)));
        assertEquals(0x0102 + 0x0304, Checksums.fold(Checksums.sum(buffer, 0, 4)));
        assertEquals(0x0102 + 0x0300, Checksums.fold(Checksums.sum(buffer, 0, 3)));
        assertEquals(0x0100, Checksums.fold(Checksums.sum(buffer, 0, 1)));
        assertEquals(0, Checksums.fold(Checksums.sum(buffer, 0, 0)));
    }

    @Test
    void matchesReferenceForAnyLengthAndAlignment()
    {
        final Random random = new Random(1071L);
        for (int i = 0; i < 2_000; i++)
        {
            final byte[] data = new byte[random.nextInt(1600)];
            random.nextBytes(data);
            final int index = random.nextInt(8);
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[index + data.length]);
            buffer.putBytes(index, data);

            assertEquals(referenceChecksum(data), Checksums.checksum(buffer, index, data.length));
        }
    }

    @Test
    void addsPartialSumsOfRegionsStartingAtEvenPositions()
    {
        final Random random = new Random(7L);
        final byte[] data = new byte[1501];
        random.nextBytes(data);
        final UnsafeBuffer buffer = new UnsafeBuffer(data);

        for (int split = 0; split <= data.length; split += 2)
        {
            final long sum = Checksums.sum(buffer, 0, split) + Checksums.sum(buffer, split, data.length - split);
            assertEquals(referenceChecksum(data), Checksums.finish(sum), "split at " + split);
        }
    }

    @Test
    void ipv4PseudoHeaderSumMatchesItsBytes()
    {
        final byte[] expected = ipv4PseudoHeader(bytes("c0a82a01"), bytes("ffffffff"), 17, 0xFFFF);

        final long sum = Checksums.ipv4PseudoHeaderSum(0xC0A8_2A01, 0xFFFF_FFFF, 17, 0xFFFF);

        assertEquals(referenceChecksum(expected), Checksums.finish(sum));
    }

    @Test
    void ipv6PseudoHeaderSumMatchesItsBytes()
    {
        final byte[] source = bytes("fe80000000000000 020000fffe000011");
        final byte[] destination = bytes("ffffffffffffffff 8000000000000001");
        final byte[] expected = ipv6PseudoHeader(source, destination, 58, 70_000);

        final UnsafeBuffer addresses = new UnsafeBuffer(new byte[32]);
        addresses.putBytes(0, source);
        addresses.putBytes(16, destination);
        final long sum = Checksums.ipv6PseudoHeaderSum(
            addresses.getLong(0, BIG_ENDIAN),
            addresses.getLong(8, BIG_ENDIAN),
            addresses.getLong(16, BIG_ENDIAN),
            addresses.getLong(24, BIG_ENDIAN),
            58,
            70_000);

        assertEquals(referenceChecksum(expected), Checksums.finish(sum));
        assertEquals(referenceChecksum(copy(addresses, 0, 32), expected, copy(addresses, 0, 32)),
            Checksums.finish(sum + Checksums.sum(addresses, 0, 32) + Checksums.sum(addresses, 0, 32)));
    }

    @Test
    void adjustMatchesRecomputationIncludingEdgeWords()
    {
        final Random random = new Random(1624L);
        final byte[] data = new byte[40];
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        final int[] edgeWords = {0x0000, 0xFFFF, 0x0001, 0xFFFE};

        for (int i = 0; i < 20_000; i++)
        {
            random.nextBytes(data);
            final int checksum = referenceChecksum(data);
            final int word = 2 * random.nextInt(20);
            final int oldWord = ((data[word] & 0xFF) << 8) | (data[word + 1] & 0xFF);
            final int newWord = i % 4 == 0 ? edgeWords[(i / 4) % edgeWords.length] : random.nextInt(0x10000);
            data[word] = (byte)(newWord >>> 8);
            data[word + 1] = (byte)newWord;

            assertEquals(referenceChecksum(data), Checksums.adjust(checksum, oldWord, newWord));
            assertEquals(Checksums.checksum(buffer, 0, 40), Checksums.adjust(checksum, oldWord, newWord));
        }
    }
}
