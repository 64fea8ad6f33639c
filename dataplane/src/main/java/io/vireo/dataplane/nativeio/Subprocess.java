package io.vireo.dataplane.nativeio;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.u_int64_t;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Runs a short-lived program (a CNI IPAM plugin) to completion in the calling thread: {@code posix_spawnp}
 * with its stdin, stdout and stderr on pipes, one {@code poll} loop that feeds the first and drains the
 * others, then {@code waitpid}. {@link ProcessBuilder} costs an exec more (its {@code jspawnhelper}) and
 * hops to its reaper and reader threads: 4-5 ms of every CNI ADD and DEL on a loaded 2-core machine
 * (benches/README.md, "2026-12-04: CNI ADD").
 * <p>
 * The child gets no descriptor of this process but its three pipes ({@code closefrom(3)} as it starts,
 * glibc 2.34 on), no blocked signal and every signal at its default action.
 */
public final class Subprocess
{
    /** What a program that ran to the end left: its exit status (128 + the signal if one killed it) and output. */
    public record Result(int exit, byte[] stdout, byte[] stderr)
    {
    }

    /** The glibc calls it makes, bound apart from {@link LibC} so that an older C library only fails this class. */
    public interface Spawn
    {
        int posix_spawnp(@Out int[] pid, String file, @u_int64_t long fileActions, @u_int64_t long attributes,
            String[] argv, String[] envp);

        int posix_spawn_file_actions_init(@u_int64_t long fileActions);

        int posix_spawn_file_actions_adddup2(@u_int64_t long fileActions, int fd, int newFd);

        int posix_spawn_file_actions_addclosefrom_np(@u_int64_t long fileActions, int lowFd);

        int posix_spawn_file_actions_destroy(@u_int64_t long fileActions);

        int posix_spawnattr_init(@u_int64_t long attributes);

        int posix_spawnattr_setflags(@u_int64_t long attributes, short flags);

        int posix_spawnattr_setsigmask(@u_int64_t long attributes, @u_int64_t long signals);

        int posix_spawnattr_setsigdefault(@u_int64_t long attributes, @u_int64_t long signals);

        int posix_spawnattr_destroy(@u_int64_t long attributes);

        int sigemptyset(@u_int64_t long signals);

        int sigfillset(@u_int64_t long signals);

        @SaveError
        int pipe2(@Out int[] fds, int flags);

        @SaveError
        int waitpid(int pid, @Out int[] status, int options);

        int kill(int pid, int signal);
    }

    private static final int O_CLOEXEC = 0x80000;
    private static final int O_NONBLOCK = 0x800;
    private static final int F_SETFL = 4;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final int WNOHANG = 1;
    private static final int SIGKILL = 9;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final short POLLIN = 0x1;
    private static final short POLLOUT = 0x4;
    /** glibc's posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336, sigset_t 128: room for each. */
    private static final int FILE_ACTIONS = 0;
    private static final int ATTRIBUTES = 512;
    private static final int NO_SIGNALS = 1_024;
    private static final int ALL_SIGNALS = 1_536;
    /** Three {@code struct pollfd} (int fd; short events; short revents). */
    private static final int POLL_FDS = 2_048;
    private static final int POLL_FD_LENGTH = 8;
    private static final int SCRATCH = 2_048 + 3 * POLL_FD_LENGTH;
    private static final int CHUNK = 65_536;
    /** How often a wait looks at the clock and the thread's interrupt. */
    private static final int SLICE_MS = 100;
    private static final long FIRST_REAP_WAIT_NS = 20_000;
    private static final long LAST_REAP_WAIT_NS = 1_000_000;

    private static final Spawn SPAWN = LibraryLoader.create(Spawn.class).failImmediately().load("c");

    private Subprocess()
    {
    }

    /**
     * Runs {@code command} (the program found as {@code execvp} finds it) with exactly {@code env}, writes
     * {@code stdin} (null: nothing) to it and reads what it prints until it exits.
     *
     * @return what it left, or null if it did not finish within {@code timeoutMs} (it is killed then).
     * @throws NativeException if it cannot be started.
     */
    public static Result run(final List<String> command, final Map<String, String> env, final byte[] stdin, final long timeoutMs)
    {
        final String[] argv = command.toArray(new String[command.size() + 1]);
        final String[] envp = new String[env.size() + 1];
        int e = 0;
        for (final Map.Entry<String, String> variable : env.entrySet())
        {
            envp[e++] = variable.getKey() + "=" + variable.getValue();
        }
        final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SCRATCH, 64));
        final int[] input = pipe();
        final int[] output = pipe();
        final int[] errors = pipe();
        final int pid;
        try
        {
            pid = spawn(argv, envp, scratch, input[0], output[1], errors[1]);
        }
        finally
        {
            close(input[0], output[1], errors[1]);
        }
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        try
        {
            nonBlocking(input[1], output[0], errors[0]);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            if (!exchange(scratch, input, null == stdin ? new byte[0] : stdin, output[0], out, errors[0], err, deadline))
            {
                return kill(pid);
            }
            final int status = reap(pid, deadline);
            return status < 0 ? kill(pid) : new Result(status, out.toByteArray(), err.toByteArray());
        }
        catch (final RuntimeException ex)
        {
            kill(pid);
            throw ex;
        }
        finally
        {
            closeInput(input);
            close(output[0], errors[0]);
        }
    }

    private static int spawn(final String[] argv, final String[] envp, final UnsafeBuffer scratch, final int stdin,
        final int stdout, final int stderr)
    {
        final long base = scratch.addressOffset();
        final long actions = base + FILE_ACTIONS;
        final long attributes = base + ATTRIBUTES;
        SPAWN.posix_spawn_file_actions_init(actions);
        SPAWN.posix_spawnattr_init(attributes);
        try
        {
            SPAWN.sigemptyset(base + NO_SIGNALS);
            SPAWN.sigfillset(base + ALL_SIGNALS);
            SPAWN.posix_spawnattr_setsigmask(attributes, base + NO_SIGNALS);
            SPAWN.posix_spawnattr_setsigdefault(attributes, base + ALL_SIGNALS);
            SPAWN.posix_spawnattr_setflags(attributes, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
            SPAWN.posix_spawn_file_actions_adddup2(actions, stdin, 0);
            SPAWN.posix_spawn_file_actions_adddup2(actions, stdout, 1);
            SPAWN.posix_spawn_file_actions_adddup2(actions, stderr, 2);
            SPAWN.posix_spawn_file_actions_addclosefrom_np(actions, 3);
            final int[] pid = new int[1];
            final int error = SPAWN.posix_spawnp(pid, argv[0], actions, attributes, argv, envp);
            if (0 != error)
            {
                throw new NativeException("cannot run " + argv[0], error);
            }
            return pid[0];
        }
        finally
        {
            SPAWN.posix_spawnattr_destroy(attributes);
            SPAWN.posix_spawn_file_actions_destroy(actions);
        }
    }

    /**
     * Writes all of {@code stdin} (or until the program stops reading) while draining both outputs, until the
     * program closes them; false if the deadline passed first. Closes the input pipe when all is written.
     */
    private static boolean exchange(
        final UnsafeBuffer scratch, final int[] input, final byte[] stdin, final int outputFd, final ByteArrayOutputStream out,
        final int errorsFd, final ByteArrayOutputStream err, final long deadline)
    {
        final int inputFd = input[1];
        final LibC libc = Native.libc();
        final UnsafeBuffer chunk = new UnsafeBuffer(BufferUtil.allocateDirectAligned(CHUNK, 64));
        final byte[] bytes = new byte[CHUNK];
        int written = 0;
        boolean inputOpen = true;
        boolean outputOpen = true;
        boolean errorsOpen = true;
        while (outputOpen || errorsOpen)
        {
            if (inputOpen && written == stdin.length)
            {
                closeInput(input);
                inputOpen = false;
            }
            final long waitMs = (deadline - System.nanoTime()) / 1_000_000L;
            if (waitMs <= 0 || Thread.currentThread().isInterrupted())
            {
                return false;
            }
            final long fds = scratch.addressOffset() + POLL_FDS;
            pollFd(scratch, 0, inputOpen ? inputFd : -1, POLLOUT);
            pollFd(scratch, 1, outputOpen ? outputFd : -1, POLLIN);
            pollFd(scratch, 2, errorsOpen ? errorsFd : -1, POLLIN);
            if (libc.poll(fds, 3, (int)Math.min(waitMs, SLICE_MS)) < 0 && EINTR != Native.errno())
            {
                throw new NativeException("poll", Native.errno());
            }
            if (inputOpen && 0 != revents(scratch, 0))
            {
                chunk.putBytes(0, stdin, written, Math.min(CHUNK, stdin.length - written));
                final long n = libc.write(inputFd, chunk.addressOffset(), Math.min(CHUNK, stdin.length - written));
                if (n > 0)
                {
                    written += (int)n;
                }
                else if (EAGAIN != Native.errno() && EINTR != Native.errno())
                {
                    // The program exited or closed its input without reading all of it; its status says how it went.
                    written = stdin.length;
                }
            }
            outputOpen = outputOpen && (0 == revents(scratch, 1) || drain(libc, outputFd, chunk, bytes, out));
            errorsOpen = errorsOpen && (0 == revents(scratch, 2) || drain(libc, errorsFd, chunk, bytes, err));
        }
        return true;
    }

    /** Reads what is there; false once the writer has closed its end. */
    private static boolean drain(final LibC libc, final int fd, final UnsafeBuffer chunk, final byte[] bytes,
        final ByteArrayOutputStream into)
    {
        final long n = libc.read(fd, chunk.addressOffset(), CHUNK);
        if (n > 0)
        {
            chunk.getBytes(0, bytes, 0, (int)n);
            into.write(bytes, 0, (int)n);
            return true;
        }
        return n < 0 && (EAGAIN == Native.errno() || EINTR == Native.errno());
    }

    /**
     * The exit status once the program is gone, or -1 if the deadline passed first. Its outputs closed as it
     * began to exit, so it is usually gone within a fraction of a millisecond (a multithreaded program, such
     * as a Go plugin, once its threads are): the waits between tries start at {@link #FIRST_REAP_WAIT_NS} and
     * double up to a millisecond, where a fixed millisecond cost one in most calls.
     */
    private static int reap(final int pid, final long deadline)
    {
        final int[] status = new int[1];
        long waitNs = FIRST_REAP_WAIT_NS;
        while (true)
        {
            final int reaped = SPAWN.waitpid(pid, status, WNOHANG);
            if (reaped == pid)
            {
                final int signal = status[0] & 0x7f;
                return 0 == signal ? (status[0] >> 8) & 0xff : 128 + signal;
            }
            if (reaped < 0 && EINTR != Native.errno())
            {
                throw new NativeException("waitpid " + pid, Native.errno());
            }
            if (System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted())
            {
                return -1;
            }
            // Its outputs are closed: it is exiting, or has handed them to a child of its own and lingers.
            LockSupport.parkNanos(waitNs);
            waitNs = Math.min(2 * waitNs, LAST_REAP_WAIT_NS);
        }
    }

    private static Result kill(final int pid)
    {
        SPAWN.kill(pid, SIGKILL);
        final int[] status = new int[1];
        while (SPAWN.waitpid(pid, status, 0) < 0 && EINTR == Native.errno())
        {
            // the child is SIGKILLed: waitpid returns once the kernel has torn it down
        }
        return null;
    }

    private static void pollFd(final UnsafeBuffer scratch, final int index, final int fd, final short events)
    {
        final int offset = POLL_FDS + index * POLL_FD_LENGTH;
        scratch.putInt(offset, fd);
        scratch.putShort(offset + 4, events);
        scratch.putShort(offset + 6, (short)0);
    }

    private static int revents(final UnsafeBuffer scratch, final int index)
    {
        return scratch.getShort(POLL_FDS + index * POLL_FD_LENGTH + 6);
    }

    /** A pipe whose ends close on exec (the child's end is dup2'ed to 0, 1 or 2 first). */
    private static int[] pipe()
    {
        final int[] fds = new int[2];
        if (SPAWN.pipe2(fds, O_CLOEXEC) < 0)
        {
            throw new NativeException("pipe2", Native.errno());
        }
        return fds;
    }

    /** Closes the pipe's writing end once: {@code input[1]} is -1 after. */
    private static void closeInput(final int[] input)
    {
        if (input[1] >= 0)
        {
            Native.libc().close(input[1]);
            input[1] = -1;
        }
    }

    private static void nonBlocking(final int... fds)
    {
        for (final int fd : fds)
        {
            if (Native.libc().fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
            {
                throw new NativeException("fcntl O_NONBLOCK", Native.errno());
            }
        }
    }

    private static void close(final int... fds)
    {
        for (final int fd : fds)
        {
            Native.libc().close(fd);
        }
    }
}
