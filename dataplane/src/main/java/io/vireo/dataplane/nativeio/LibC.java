package io.vireo.dataplane.nativeio;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.off_t;
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

    /** open with the path a NUL-terminated string in native memory: no conversion, so nothing allocated per call. */
    @SaveError
    int open(@u_int64_t long pathAddress, int flags);

    @SaveError
    int close(int fd);

    /**
     * ioctl whose argument is passed by value (TUNSETOFFLOAD), or is the address of a structure in native memory
     * (TUNSETIFF, SIOCGIFNAME).
     */
    @SaveError
    int ioctl(int fd, @u_int64_t long request, @u_int64_t long argument);

    @SaveError
    @ssize_t
    long read(int fd, @u_int64_t long address, @size_t long length);

    @SaveError
    @ssize_t
    long write(int fd, @u_int64_t long address, @size_t long length);

    /** {@code iov}: the native address of {@code count} {@code struct iovec}s (address, length: 16 bytes each). */
    @SaveError
    @ssize_t
    long readv(int fd, @u_int64_t long iov, int count);

    @SaveError
    @ssize_t
    long writev(int fd, @u_int64_t long iov, int count);

    String strerror(int errno);

    /** {@code pid} 0: the calling thread. The mask is {@code size} bytes of CPU bits, CPU 0 in bit 0 of word 0. */
    @SaveError
    int sched_setaffinity(int pid, @size_t long size, @In long[] mask);

    @SaveError
    int sched_getaffinity(int pid, @size_t long size, @Out long[] mask);

    /** The calling thread's kernel id, as in {@code /proc/self/task/TID}. */
    int gettid();

    // Shared memory, eventfd and unix-domain sockets with descriptor passing, for vhost-user.
    // Structures (msghdr, sockaddr_un, pollfd, struct stat) are passed as addresses of off-heap memory
    // laid out by the typed wrappers MappedMemory, EventFd and UnixSocket.

    /**
     * The address hint is a {@link Pointer} (pass null): declared with six primitive arguments, jnr-ffi
     * 2.2.17 passes the sixth (offset) wrongly and glibc fails the call with EINVAL.
     *
     * @return the mapping's address, or -1 (MAP_FAILED).
     */
    @SaveError
    @u_int64_t
    long mmap(Pointer hint, @size_t long length, int protection, int flags, int fd, @off_t long offset);

    @SaveError
    int munmap(@u_int64_t long address, @size_t long length);

    /** One byte per page of {@code [address, address + length)} into {@code vectorAddress}; bit 0: resident. */
    @SaveError
    int mincore(@u_int64_t long address, @size_t long length, @u_int64_t long vectorAddress);

    long sysconf(int name);

    @SaveError
    int madvise(@u_int64_t long address, @size_t long length, int advice);

    @SaveError
    int fstat(int fd, @u_int64_t long statAddress);

    @SaveError
    int memfd_create(String name, int flags);

    @SaveError
    int ftruncate(int fd, @off_t long length);

    /** fcntl with an int argument (F_GETFL, F_SETFL). */
    @SaveError
    int fcntl(int fd, int command, int argument);

    @SaveError
    int eventfd(int initialValue, int flags);

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int socketpair(int domain, int type, int protocol, @Out int[] fds);

    @SaveError
    int bind(int fd, @u_int64_t long address, int addressLength);

    @SaveError
    int listen(int fd, int backlog);

    @SaveError
    int accept4(int fd, @u_int64_t long address, @u_int64_t long addressLengthAddress, int flags);

    @SaveError
    int connect(int fd, @u_int64_t long address, int addressLength);

    @SaveError
    @ssize_t
    long sendmsg(int fd, @u_int64_t long messageAddress, int flags);

    @SaveError
    @ssize_t
    long recvmsg(int fd, @u_int64_t long messageAddress, int flags);

    @SaveError
    int poll(@u_int64_t long pollfdAddress, @u_int64_t long count, int timeoutMillis);

    // Datagram batches, for VXLAN (see MessageBatch).

    @SaveError
    int setsockopt(int fd, int level, int name, @u_int64_t long valueAddress, int valueLength);

    /** The value's length is an int at {@code lengthAddress}, in and out (PACKET_STATISTICS, SO_ERROR). */
    @SaveError
    int getsockopt(int fd, int level, int name, @u_int64_t long valueAddress, @u_int64_t long lengthAddress);

    @SaveError
    int recvmmsg(int fd, @u_int64_t long messagesAddress, int count, int flags, @u_int64_t long timeoutAddress);

    @SaveError
    int sendmmsg(int fd, @u_int64_t long messagesAddress, int count, int flags);

    // epoll, for forwarding threads that sleep until a port has frames (see Epoll).

    @SaveError
    int epoll_create1(int flags);

    @SaveError
    int epoll_ctl(int epollFd, int operation, int fd, @u_int64_t long eventAddress);

    @SaveError
    int epoll_wait(int epollFd, @u_int64_t long eventsAddress, int maxEvents, int timeoutMillis);

    // inotify, for the conductor that learns a container's namespace went (see DirectoryWatch).

    @SaveError
    int inotify_init1(int flags);

    @SaveError
    int inotify_add_watch(int fd, String path, int mask);

    @SaveError
    int inotify_rm_watch(int fd, int watchDescriptor);

    // Network namespaces and route netlink, for interface configuration (see RtNetlink).

    /** Moves the calling thread into the namespace behind {@code fd}; {@code nstype} says which kind it must be. */
    @SaveError
    int setns(int fd, int nstype);

    /** To the socket's default peer: on a netlink socket, the kernel. */
    @SaveError
    @ssize_t
    long send(int fd, @u_int64_t long address, @size_t long length, int flags);

    /** With MSG_TRUNC, returns a datagram's whole length even when it did not fit. */
    @SaveError
    @ssize_t
    long recv(int fd, @u_int64_t long address, @size_t long length, int flags);
}
