package io.rum.net.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few Linux calls the JDK lacks for memif's control plane, through FFM: {@code SOCK_SEQPACKET} Unix sockets
 * (the JDK's Unix channels are stream sockets), descriptors passed with {@code SCM_RIGHTS}, {@code memfd_create},
 * {@code mmap}, {@code eventfd}. Never on the data path: a memif ring is plain shared memory, read and written with
 * loads and stores.
 *
 * <p>Every call returns what the kernel returned, or {@code -errno} on failure (never throws for an errno), so a
 * caller polling a non-blocking descriptor can tell {@link #EAGAIN} from a real error without an exception. The
 * calls may be made from any thread: each captures its own errno through a confined arena of the caller's.
 *
 * <p>x86-64 and aarch64 Linux layouts: {@code struct msghdr} is 56 bytes, {@code struct cmsghdr} 16,
 * {@code struct sockaddr_un} 110.
 */
@SuppressWarnings("restricted") // libc calls with fixed signatures; the JVM runs with --enable-native-access
public final class Posix
{
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int ENOENT = 2;
    public static final int ECONNREFUSED = 111;
    public static final int EINPROGRESS = 115;

    public static final int AF_UNIX = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    public static final int MFD_CLOEXEC = 1;
    public static final int MFD_ALLOW_SEALING = 2;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SHRINK = 2;
    public static final int PROT_READ_WRITE = 3;
    public static final int MAP_SHARED = 1;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int SEEK_END = 2;

    /** {@code sizeof(struct sockaddr_un)}: a 2-byte family, then 108 bytes of path. */
    public static final int SOCKADDR_UN_SIZE = 110;
    public static final int SUN_PATH_SIZE = 108;
    public static final int MSGHDR_SIZE = 56;
    public static final int CMSGHDR_SIZE = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle SOCKET = call("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
        JAVA_INT));
    private static final MethodHandle BIND = call("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle LISTEN = call("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = call("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
        ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = call("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle SENDMSG = call("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle RECVMSG = call("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MEMFD_CREATE = call("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(LINKER.defaultLookup().find("fcntl").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2),
        Linker.Option.captureCallState("errno"));
    private static final MethodHandle FTRUNCATE = call("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        JAVA_LONG));
    private static final MethodHandle LSEEK = call("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG,
        JAVA_INT));
    private static final MethodHandle MMAP = call("mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG,
        JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = call("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle EVENTFD = call("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle WRITE = call("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_LONG));
    private static final MethodHandle UNLINK = call("unlink", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
        LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Posix()
    {
    }

    private static MethodHandle call(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
            () -> new IllegalStateException("libc has no " + name)), descriptor, Linker.Option.captureCallState("errno"));
    }

    /** A call's result: itself if it is not negative, else the negated errno the call left. */
    private static long result(final long rc, final MemorySegment state)
    {
        return rc >= 0 ? rc : -(int)ERRNO.get(state, 0L);
    }

    public static int socketSeqPacket()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)SOCKET.invokeExact(state, AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("socket", ex);
        }
    }

    /**
     * Fills a {@code struct sockaddr_un} for {@code path}, or for the abstract name {@code path} (a leading NUL, then
     * the name; the address's length counts the name and one NUL more, as DPDK's memif counts it, so the two name the
     * same socket).
     *
     * @return the address length to pass.
     */
    public static int unixAddress(final MemorySegment address, final String path, final boolean isAbstract)
    {
        final byte[] name = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (name.length + (isAbstract ? 2 : 1) > SUN_PATH_SIZE)
        {
            throw new IllegalArgumentException("socket path longer than " + (SUN_PATH_SIZE - 2) + " bytes: " + path);
        }
        address.fill((byte)0);
        address.set(ValueLayout.JAVA_SHORT, 0, (short)AF_UNIX);
        MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, isAbstract ? 3 : 2, name.length);
        return isAbstract ? 2 + Math.min(name.length + 1, SUN_PATH_SIZE) : SOCKADDR_UN_SIZE;
    }

    public static int bind(final int fd, final MemorySegment address, final int length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)BIND.invokeExact(state, fd, address, length), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("bind", ex);
        }
    }

    public static int listen(final int fd, final int backlog)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)LISTEN.invokeExact(state, fd, backlog), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("listen", ex);
        }
    }

    /**
     * @return memory for a call's errno, for the overloads that take one: a caller that calls often (a poller's
     *     periodic look at a socket) allocates it once instead of on every call.
     */
    public static MemorySegment callState(final Arena arena)
    {
        return arena.allocate(CALL_STATE);
    }

    /**
     * @return a new non-blocking, close-on-exec connection, or {@code -EAGAIN} when none waits; the errno kept in
     *     {@code state} (from {@link #callState}). Allocates nothing.
     */
    public static int accept(final int fd, final MemorySegment state)
    {
        try
        {
            return (int)result((int)ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL,
                SOCK_NONBLOCK | SOCK_CLOEXEC), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("accept4", ex);
        }
    }

    /** {@code sendmsg}, the errno kept in {@code state}. Allocates nothing. */
    public static long sendmsg(final int fd, final MemorySegment message, final int flags, final MemorySegment state)
    {
        try
        {
            return result((long)SENDMSG.invokeExact(state, fd, message, flags), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("sendmsg", ex);
        }
    }

    /** {@code recvmsg}, the errno kept in {@code state}. Allocates nothing. */
    public static long recvmsg(final int fd, final MemorySegment message, final int flags, final MemorySegment state)
    {
        try
        {
            return result((long)RECVMSG.invokeExact(state, fd, message, flags), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("recvmsg", ex);
        }
    }

    /** @return the bytes written, or {@code -errno}; the errno kept in {@code state}. Allocates nothing. */
    public static long write(final int fd, final MemorySegment from, final long length, final MemorySegment state)
    {
        try
        {
            return result((long)WRITE.invokeExact(state, fd, from, length), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("write", ex);
        }
    }

    public static int connect(final int fd, final MemorySegment address, final int length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)CONNECT.invokeExact(state, fd, address, length), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("connect", ex);
        }
    }

    /** Closes a descriptor; a negative one is ignored, so "no descriptor" can be closed too. */
    public static int close(final int fd)
    {
        if (fd < 0)
        {
            return 0;
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)CLOSE.invokeExact(state, fd), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("close", ex);
        }
    }

    public static int memfdCreate(final String name, final int flags)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)MEMFD_CREATE.invokeExact(state, arena.allocateFrom(name), flags), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("memfd_create", ex);
        }
    }

    public static int fcntl(final int fd, final int command, final int argument)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)FCNTL.invokeExact(state, fd, command, argument), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("fcntl", ex);
        }
    }

    public static int ftruncate(final int fd, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)FTRUNCATE.invokeExact(state, fd, length), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("ftruncate", ex);
        }
    }

    /** @return the size of the file behind {@code fd}, or {@code -errno}. */
    public static long fileSize(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return result((long)LSEEK.invokeExact(state, fd, 0L, SEEK_END), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("lseek", ex);
        }
    }

    /**
     * Maps {@code length} bytes of {@code fd} shared, readable and writable.
     *
     * @return the address, or {@code -errno}.
     */
    public static long mmapShared(final int fd, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            final MemorySegment at = (MemorySegment)MMAP.invokeExact(state, MemorySegment.NULL, length,
                PROT_READ_WRITE, MAP_SHARED, fd, 0L);
            return at.address() == -1L ? -(long)(int)ERRNO.get(state, 0L) : at.address();
        }
        catch (final Throwable ex)
        {
            throw unexpected("mmap", ex);
        }
    }

    public static int munmap(final long address, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), length), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("munmap", ex);
        }
    }

    public static int eventfd()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)EVENTFD.invokeExact(state, 0, EFD_NONBLOCK | EFD_CLOEXEC), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("eventfd", ex);
        }
    }

    public static int unlink(final String path)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            return (int)result((int)UNLINK.invokeExact(state, arena.allocateFrom(path)), state);
        }
        catch (final Throwable ex)
        {
            throw unexpected("unlink", ex);
        }
    }

    /** @return libc's words for an errno, e.g. "Connection refused". */
    public static String describe(final int errno)
    {
        try
        {
            final MemorySegment text = (MemorySegment)STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        }
        catch (final Throwable ex)
        {
            return "errno " + errno;
        }
    }

    private static IllegalStateException unexpected(final String call, final Throwable ex)
    {
        return new IllegalStateException("FFM call " + call + " failed unexpectedly", ex);
    }
}
