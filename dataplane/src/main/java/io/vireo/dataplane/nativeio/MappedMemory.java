package io.vireo.dataplane.nativeio;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A file mapped shared, read-write, from its offset 0: how a vhost-user backend sees the memory of
 * its frontend (a memfd or a hugetlbfs file passed over the socket); or anonymous memory
 * ({@link #mapAnonymous}), zero-filled and committed page by page as it is first written, for large
 * sparse tables. Every accessor takes an offset
 * into the mapping and checks it, so code outside this package reads and writes the mapping without
 * ever holding its address; a wrong offset is an {@link IndexOutOfBoundsException}, never a stray
 * access. Byte order is the host's (virtio 1.x rings are little-endian, and so are the hosts Vireo
 * runs on).
 * <p>
 * The mapping must not be {@link #close closed} while another thread may still access it; owners
 * arrange that with a handshake (see {@code VhostUserPort}).
 */
public final class MappedMemory implements AutoCloseable
{
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x1;
    static final int MFD_CLOEXEC = 0x1;
    static final int MAP_PRIVATE = 0x2;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int MADV_NOHUGEPAGE = 15;
    static final int SC_PAGESIZE = 30;

    // struct stat on x86_64 / aarch64 glibc: st_mode (u32) at 24, st_size (i64) at 48, 144 bytes.
    private static final int STAT_LENGTH = 144;
    private static final int STAT_MODE_OFFSET = 24;
    private static final int STAT_SIZE_OFFSET = 48;
    private static final int S_IFMT = 0xF000;
    private static final int S_IFREG = 0x8000;

    private final long address;
    private final long length;
    private boolean unmapped;

    private MappedMemory(final long address, final long length)
    {
        this.address = address;
        this.length = length;
    }

    /**
     * Maps the first {@code length} bytes of the regular file behind {@code fd}. The file must already
     * be at least that long: touching a mapped page beyond the end of a file raises SIGBUS, which would
     * take the whole process down. The descriptor may be closed once this returns.
     *
     * @throws IllegalArgumentException if the descriptor is not a regular file or is shorter than
     *                                  {@code length}.
     * @throws NativeException          if the kernel refuses the mapping.
     */
    public static MappedMemory mapShared(final int fd, final long length)
    {
        if (length <= 0)
        {
            throw new IllegalArgumentException("cannot map " + length + " bytes");
        }
        final LibC libc = Native.libc();
        final ByteBuffer stat = BufferUtil.allocateDirectAligned(STAT_LENGTH, 8);
        final UnsafeBuffer statBuffer = new UnsafeBuffer(stat);
        if (libc.fstat(fd, statBuffer.addressOffset()) < 0)
        {
            throw new NativeException("fstat fd " + fd, Native.errno());
        }
        if ((statBuffer.getInt(STAT_MODE_OFFSET) & S_IFMT) != S_IFREG)
        {
            throw new IllegalArgumentException("fd " + fd + " is not a regular file (memfd, hugetlbfs or tmpfs)");
        }
        final long fileSize = statBuffer.getLong(STAT_SIZE_OFFSET);
        if (fileSize < length)
        {
            throw new IllegalArgumentException(
                "fd " + fd + " holds " + fileSize + " bytes, " + length + " would be mapped");
        }
        return map(fd, length);
    }

    /**
     * Maps the {@code length} bytes of a ring the socket behind {@code fd} has set up (an AF_PACKET
     * {@code PACKET_RX_RING}): memory the kernel owns and shares, so there is no file size to check;
     * the kernel refuses a length the ring does not have. The mapping outlives a close of the socket.
     *
     * @throws NativeException if the kernel refuses the mapping.
     */
    public static MappedMemory mapRing(final int fd, final long length)
    {
        if (length <= 0)
        {
            throw new IllegalArgumentException("cannot map " + length + " bytes");
        }
        return map(fd, length);
    }

    private static MappedMemory map(final int fd, final long length)
    {
        final long address = Native.libc().mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (-1L == address)
        {
            throw new NativeException("mmap " + length + " bytes of fd " + fd, Native.errno());
        }
        return new MappedMemory(address, length);
    }

    /**
     * Maps {@code length} bytes of private anonymous memory, read-write and zero-filled. Nothing is
     * reserved up front (MAP_NORESERVE): the kernel commits a page when it is first written, so a large
     * table that is mostly zero costs only the pages in use (reading an untouched page maps the shared
     * zero page and commits nothing). Transparent huge pages are declined (MADV_NOHUGEPAGE), so a
     * write commits 4 KB, not 2 MB, even where the kernel's THP setting is "always".
     *
     * @throws IllegalArgumentException if {@code length} is not positive.
     * @throws NativeException          if the kernel refuses the mapping.
     */
    public static MappedMemory mapAnonymous(final long length)
    {
        if (length <= 0)
        {
            throw new IllegalArgumentException("cannot map " + length + " bytes");
        }
        final long address = Native.libc().mmap(
            null, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (-1L == address)
        {
            throw new NativeException("mmap " + length + " anonymous bytes", Native.errno());
        }
        final MappedMemory memory = new MappedMemory(address, length);
        if (Native.libc().madvise(address, length, MADV_NOHUGEPAGE) < 0)
        {
            final int errno = Native.errno();
            memory.close();
            throw new NativeException("madvise MADV_NOHUGEPAGE " + length + " bytes", errno);
        }
        return memory;
    }

    /**
     * Creates an anonymous memory file of {@code size} bytes (close-on-exec), as a frontend does to
     * share its memory; the caller owns the returned descriptor.
     */
    public static int createMemfd(final String name, final long size)
    {
        final LibC libc = Native.libc();
        final int fd = libc.memfd_create(name, MFD_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("memfd_create " + name, Native.errno());
        }
        if (libc.ftruncate(fd, size) < 0)
        {
            final int errno = Native.errno();
            libc.close(fd);
            throw new NativeException("ftruncate memfd " + name + " to " + size, errno);
        }
        return fd;
    }

    public long length()
    {
        return length;
    }

    public byte getByte(final long offset)
    {
        return UnsafeApi.getByte(null, at(offset, 1));
    }

    public void putByte(final long offset, final byte value)
    {
        UnsafeApi.putByte(null, at(offset, 1), value);
    }

    /**
     * The bytes of the mapping's pages in memory now, as mincore reports them. For an anonymous mapping
     * these are the pages written so far, and the pages only read, which map the kernel's shared zero
     * page: they take no memory but count here. One call reads one byte per page of the mapping, so
     * this is for tests and statistics, not for a forwarding path.
     */
    public long residentBytes()
    {
        final LibC libc = Native.libc();
        final long pageSize = libc.sysconf(SC_PAGESIZE);
        final int pages = (int)((length + pageSize - 1) / pageSize);
        final ByteBuffer vector = ByteBuffer.allocateDirect(pages);
        if (libc.mincore(address, length, BufferUtil.address(vector)) < 0)
        {
            throw new NativeException("mincore " + length + " bytes", Native.errno());
        }
        long resident = 0;
        for (int page = 0; page < pages; page++)
        {
            resident += vector.get(page) & 1;
        }
        return resident * pageSize;
    }

    public short getShort(final long offset)
    {
        return UnsafeApi.getShort(null, at(offset, 2));
    }

    /** A load that later loads and stores cannot move before: for a ring index published by the peer. */
    public short getShortAcquire(final long offset)
    {
        return UnsafeApi.getShortAcquire(null, at(offset, 2));
    }

    public void putShort(final long offset, final short value)
    {
        UnsafeApi.putShort(null, at(offset, 2), value);
    }

    /**
     * A single 16-bit store that earlier loads and stores cannot move after: how a ring index is
     * published. The offset must be 2-byte aligned for the store not to tear.
     */
    public void putShortRelease(final long offset, final short value)
    {
        UnsafeApi.putShortRelease(null, at(offset, 2), value);
    }

    public int getInt(final long offset)
    {
        return UnsafeApi.getInt(null, at(offset, 4));
    }

    public void putInt(final long offset, final int value)
    {
        UnsafeApi.putInt(null, at(offset, 4), value);
    }

    /** A load that later loads and stores cannot move before: for a status word the peer publishes. */
    public int getIntAcquire(final long offset)
    {
        return UnsafeApi.getIntAcquire(null, at(offset, 4));
    }

    /** A single 32-bit store that earlier loads and stores cannot move after: how a status word is handed back. */
    public void putIntRelease(final long offset, final int value)
    {
        UnsafeApi.putIntRelease(null, at(offset, 4), value);
    }

    public long getLong(final long offset)
    {
        return UnsafeApi.getLong(null, at(offset, 8));
    }

    /** A load that later loads and stores cannot move before: for a word another thread publishes. */
    public long getLongAcquire(final long offset)
    {
        return UnsafeApi.getLongAcquire(null, at(offset, 8));
    }

    /**
     * A single 64-bit store that earlier loads and stores cannot move after: how a word is published.
     * The offset must be 8-byte aligned for the store not to tear.
     */
    public void putLongRelease(final long offset, final long value)
    {
        UnsafeApi.putLongRelease(null, at(offset, 8), value);
    }

    public void putLong(final long offset, final long value)
    {
        UnsafeApi.putLong(null, at(offset, 8), value);
    }

    /** Copies {@code length} bytes at {@code offset} into {@code destination} at {@code index}. */
    public void copyTo(final long offset, final MutableDirectBuffer destination, final int index, final int length)
    {
        final long source = at(offset, length);
        destination.boundsCheck(index, length);
        UnsafeApi.copyMemory(null, source, destination.byteArray(), destination.addressOffset() + index, length);
    }

    /** Copies {@code length} bytes of {@code source} at {@code index} to {@code offset}. */
    public void copyFrom(final long offset, final DirectBuffer source, final int index, final int length)
    {
        final long destination = at(offset, length);
        source.boundsCheck(index, length);
        UnsafeApi.copyMemory(source.byteArray(), source.addressOffset() + index, null, destination, length);
    }

    public void setMemory(final long offset, final long length, final byte value)
    {
        UnsafeApi.setMemory(null, at(offset, length), length, value);
    }

    private long at(final long offset, final long size)
    {
        if (offset < 0 || size < 0 || offset > length - size)
        {
            throw new IndexOutOfBoundsException(
                "offset=" + offset + " size=" + size + " outside a mapping of " + length + " bytes");
        }
        return address + offset;
    }

    /** Unmaps the memory; idempotent. */
    @Override
    public void close()
    {
        if (!unmapped)
        {
            unmapped = true;
            Native.libc().munmap(address, length);
        }
    }

    @Override
    public String toString()
    {
        return "MappedMemory{" + length + " bytes}";
    }
}
