package io.vireo.dataplane.nativeio;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * The C library calls Vireo makes, bound through jnr-ffi. Frame I/O takes raw addresses of off-heap
 * packet memory so no {@code byte[]} is ever created per frame. Use it through {@link Native}.
 */
public interface LibC
{
    @SaveError
    int open(String path, int flags);

    @SaveError
    int close(int fd);

    /** ioctl whose argument is a pointer to a structure (TUNSETIFF, TUNGETIFF). */
    @SaveError
    int ioctl(int fd, @u_int64_t long request, Pointer argument);

    /** ioctl whose argument is passed by value (TUNSETOFFLOAD). */
    @SaveError
    int ioctl(int fd, @u_int64_t long request, @u_int64_t long argument);

    @SaveError
    @ssize_t
    long read(int fd, @u_int64_t long address, @size_t long length);

    @SaveError
    @ssize_t
    long write(int fd, @u_int64_t long address, @size_t long length);

    String strerror(int errno);
}
