package io.vireo.dataplane.vhost;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One vhost-user message in an off-heap buffer, read and written in place (host byte order, as the
 * protocol specifies). Descriptors travel beside it as {@code SCM_RIGHTS} ancillary data.
 * <pre>
 *  0               4               8               12
 * +---------------+---------------+---------------+----------------------------+
 * |    request    |     flags     |     size      |  payload (size bytes) ...  |
 * +---------------+---------------+---------------+----------------------------+
 *   u32             bits 0-1 version (1)
 *                   bit 2 reply, bit 3 need reply
 *
 * payloads (offsets from the start of the message):
 *   u64            12 value
 *   vring state    12 index u32 | 16 num u32
 *   vring address  12 index u32 | 16 flags u32 | 20 desc u64 | 28 used u64 | 36 avail u64 | 44 log u64
 *   vring file     12 u64: bits 0-7 queue index, bit 8 "no descriptor attached"
 *   memory table   12 count u32 | 16 padding u32 | 20 + 32 i: region i
 *                     region: guest_phys_addr u64 | size u64 | userspace_addr u64 | mmap_offset u64
 * </pre>
 * A reply repeats the request code with flags exactly {@link #REPLY_FLAGS}; frontends reject others.
 */
final class VhostUserMessage
{
    static final int GET_FEATURES = 1;
    static final int SET_FEATURES = 2;
    static final int SET_OWNER = 3;
    static final int RESET_OWNER = 4;
    static final int SET_MEM_TABLE = 5;
    static final int SET_LOG_BASE = 6;
    static final int SET_LOG_FD = 7;
    static final int SET_VRING_NUM = 8;
    static final int SET_VRING_ADDR = 9;
    static final int SET_VRING_BASE = 10;
    static final int GET_VRING_BASE = 11;
    static final int SET_VRING_KICK = 12;
    static final int SET_VRING_CALL = 13;
    static final int SET_VRING_ERR = 14;
    static final int GET_PROTOCOL_FEATURES = 15;
    static final int SET_PROTOCOL_FEATURES = 16;
    static final int GET_QUEUE_NUM = 17;
    static final int SET_VRING_ENABLE = 18;

    private static final String[] NAMES = {
        "NONE", "GET_FEATURES", "SET_FEATURES", "SET_OWNER", "RESET_OWNER", "SET_MEM_TABLE", "SET_LOG_BASE",
        "SET_LOG_FD", "SET_VRING_NUM", "SET_VRING_ADDR", "SET_VRING_BASE", "GET_VRING_BASE", "SET_VRING_KICK",
        "SET_VRING_CALL", "SET_VRING_ERR", "GET_PROTOCOL_FEATURES", "SET_PROTOCOL_FEATURES", "GET_QUEUE_NUM",
        "SET_VRING_ENABLE"};

    static final int REQUEST_OFFSET = 0;
    static final int FLAGS_OFFSET = 4;
    static final int SIZE_OFFSET = 8;
    static final int HEADER_LENGTH = 12;
    /** Larger than any payload of the protocol (the memory table is 264 bytes). */
    static final int MAX_PAYLOAD = 4096;

    static final int VERSION = 1;
    static final int VERSION_MASK = 0x3;
    static final int FLAG_REPLY = 0x4;
    static final int FLAG_NEED_REPLY = 0x8;
    static final int REPLY_FLAGS = VERSION | FLAG_REPLY;

    static final int U64_LENGTH = 8;
    static final int VRING_STATE_LENGTH = 8;
    static final int VRING_ADDRESS_LENGTH = 40;
    static final int VRING_FILE_INDEX_MASK = 0xFF;
    static final long VRING_FILE_NO_FD = 0x100;
    static final int MAX_REGIONS = 8;
    static final int MEMORY_TABLE_HEADER_LENGTH = 8;
    static final int REGION_LENGTH = 32;

    private static final int PAYLOAD = HEADER_LENGTH;
    private static final int REGIONS = PAYLOAD + MEMORY_TABLE_HEADER_LENGTH;

    private final UnsafeBuffer buffer =
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(HEADER_LENGTH + MAX_PAYLOAD, 8));

    static String name(final int request)
    {
        return request >= 0 && request < NAMES.length ? NAMES[request] : "request " + request;
    }

    UnsafeBuffer buffer()
    {
        return buffer;
    }

    int request()
    {
        return buffer.getInt(REQUEST_OFFSET);
    }

    int flags()
    {
        return buffer.getInt(FLAGS_OFFSET);
    }

    /** Payload bytes as the header claims, unsigned; may exceed {@link #MAX_PAYLOAD} in a hostile header. */
    long size()
    {
        return buffer.getInt(SIZE_OFFSET) & 0xFFFF_FFFFL;
    }

    boolean needsReply()
    {
        return (flags() & FLAG_NEED_REPLY) != 0;
    }

    /** Header and payload bytes of a message whose size is valid. */
    int length()
    {
        return HEADER_LENGTH + (int)size();
    }

    VhostUserMessage header(final int request, final int flags, final int size)
    {
        buffer.putInt(REQUEST_OFFSET, request);
        buffer.putInt(FLAGS_OFFSET, flags);
        buffer.putInt(SIZE_OFFSET, size);
        return this;
    }

    long u64()
    {
        return buffer.getLong(PAYLOAD);
    }

    VhostUserMessage u64(final long value)
    {
        buffer.putLong(PAYLOAD, value);
        return this;
    }

    /** Queue index of a vring state or vring address payload. */
    int vringIndex()
    {
        return buffer.getInt(PAYLOAD);
    }

    int vringNum()
    {
        return buffer.getInt(PAYLOAD + 4);
    }

    VhostUserMessage vringState(final int index, final int num)
    {
        buffer.putInt(PAYLOAD, index);
        buffer.putInt(PAYLOAD + 4, num);
        return this;
    }

    long descAddress()
    {
        return buffer.getLong(PAYLOAD + 8);
    }

    long usedAddress()
    {
        return buffer.getLong(PAYLOAD + 16);
    }

    long availAddress()
    {
        return buffer.getLong(PAYLOAD + 24);
    }

    VhostUserMessage vringAddress(final int index, final long desc, final long used, final long avail)
    {
        buffer.putInt(PAYLOAD, index);
        buffer.putInt(PAYLOAD + 4, 0);
        buffer.putLong(PAYLOAD + 8, desc);
        buffer.putLong(PAYLOAD + 16, used);
        buffer.putLong(PAYLOAD + 24, avail);
        buffer.putLong(PAYLOAD + 32, 0);
        return this;
    }

    /** Region count of a memory table, unsigned as received. */
    long regionCount()
    {
        return buffer.getInt(PAYLOAD) & 0xFFFF_FFFFL;
    }

    long regionGuestAddress(final int region)
    {
        return buffer.getLong(REGIONS + region * REGION_LENGTH);
    }

    long regionSize(final int region)
    {
        return buffer.getLong(REGIONS + region * REGION_LENGTH + 8);
    }

    long regionUserAddress(final int region)
    {
        return buffer.getLong(REGIONS + region * REGION_LENGTH + 16);
    }

    long regionMmapOffset(final int region)
    {
        return buffer.getLong(REGIONS + region * REGION_LENGTH + 24);
    }

    VhostUserMessage regionCount(final int count)
    {
        buffer.putInt(PAYLOAD, count);
        buffer.putInt(PAYLOAD + 4, 0);
        return this;
    }

    VhostUserMessage region(
        final int region, final long guestAddress, final long size, final long userAddress, final long mmapOffset)
    {
        final int offset = REGIONS + region * REGION_LENGTH;
        buffer.putLong(offset, guestAddress);
        buffer.putLong(offset + 8, size);
        buffer.putLong(offset + 16, userAddress);
        buffer.putLong(offset + 24, mmapOffset);
        return this;
    }

    static int memoryTableSize(final int regions)
    {
        return MEMORY_TABLE_HEADER_LENGTH + regions * REGION_LENGTH;
    }

    @Override
    public String toString()
    {
        return name(request()) + "{flags=0x" + Integer.toHexString(flags()) + ", size=" + size() + "}";
    }
}
