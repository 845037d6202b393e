package io.rum.net.reliability;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The part of memif's control protocol Java's standard library lacks, tried through FFM: a memif client creates its
 * shared memory with memfd_create and hands the descriptor to the server over a Unix socket (sendmsg with
 * SCM_RIGHTS), and the server maps what it received. Here both ends are in one process on a socketpair: one side
 * creates a memfd, maps it and writes into it, sends the descriptor; the other receives it (a new number for the same
 * file), maps it and reads the bytes back. x86-64 Linux layouts (struct msghdr 56 bytes, cmsghdr 16).
 *
 *   FdPassingExp
 */
public final class FdPassingExp
{
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final int AF_UNIX = 1;
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_SHARED = 1;
    private static final long SIZE = 1 << 20;

    private static MethodHandle libc(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), descriptor);
    }

    public static void main(final String[] args) throws Throwable
    {
        final MethodHandle socketpair = libc("socketpair",
            FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS));
        final MethodHandle memfdCreate = libc("memfd_create", FunctionDescriptor.of(INT, ValueLayout.ADDRESS, INT));
        final MethodHandle ftruncate = libc("ftruncate", FunctionDescriptor.of(INT, INT, LONG));
        final MethodHandle mmap = libc("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, LONG,
            INT, INT, INT, LONG));
        final MethodHandle sendmsg = libc("sendmsg", FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, INT));
        final MethodHandle recvmsg = libc("recvmsg", FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, INT));
        final MethodHandle close = libc("close", FunctionDescriptor.of(INT, INT));
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment pair = arena.allocate(INT, 2);
            check((int)socketpair.invokeExact(AF_UNIX, SOCK_SEQPACKET, 0, pair), "socketpair");
            final int client = pair.getAtIndex(INT, 0);
            final int server = pair.getAtIndex(INT, 1);

            final int memfd = (int)memfdCreate.invokeExact(arena.allocateFrom("rum-region"), 0);
            check(memfd, "memfd_create");
            check((int)ftruncate.invokeExact(memfd, SIZE), "ftruncate");
            final MemorySegment clientView = mapped((MemorySegment)mmap.invokeExact(MemorySegment.NULL, SIZE,
                PROT_READ_WRITE, MAP_SHARED, memfd, 0L));
            clientView.setString(4096, "written by the side that made the region");

            // sendmsg: one byte of payload (memif sends a message; here a marker), the fd in an SCM_RIGHTS cmsg.
            final MemorySegment payload = arena.allocate(1);
            final MemorySegment iov = arena.allocate(16, 8);
            iov.set(ValueLayout.ADDRESS, 0, payload);
            iov.set(LONG, 8, 1);
            final MemorySegment control = arena.allocate(24, 8);   // CMSG_SPACE(sizeof(int)) = 24
            control.set(LONG, 0, 20);                               // cmsg_len = CMSG_LEN(sizeof(int))
            control.set(INT, 8, SOL_SOCKET);
            control.set(INT, 12, SCM_RIGHTS);
            control.set(INT, 16, memfd);
            final MemorySegment message = msghdr(arena, iov, control);
            check((int)(long)sendmsg.invokeExact(client, message, 0), "sendmsg");

            final MemorySegment inPayload = arena.allocate(1);
            final MemorySegment inIov = arena.allocate(16, 8);
            inIov.set(ValueLayout.ADDRESS, 0, inPayload);
            inIov.set(LONG, 8, 1);
            final MemorySegment inControl = arena.allocate(24, 8);
            final MemorySegment inMessage = msghdr(arena, inIov, inControl);
            check((int)(long)recvmsg.invokeExact(server, inMessage, 0), "recvmsg");
            if (inControl.get(INT, 8) != SOL_SOCKET || inControl.get(INT, 12) != SCM_RIGHTS)
            {
                throw new IllegalStateException("no SCM_RIGHTS in what was received");
            }
            final int received = inControl.get(INT, 16);
            final MemorySegment serverView = mapped((MemorySegment)mmap.invokeExact(MemorySegment.NULL, SIZE,
                PROT_READ_WRITE, MAP_SHARED, received, 0L));
            System.out.println("sent fd " + memfd + ", received fd " + received + ", mapped at " +
                Long.toHexString(serverView.address()) + " (the maker's at " + Long.toHexString(clientView.address()) +
                "): \"" + serverView.getString(4096) + "\"");
            serverView.setString(8192, "and read back by the maker");
            System.out.println("maker reads: \"" + clientView.getString(8192) + "\"");
            for (final int fd : new int[] {received, memfd, client, server})
            {
                check((int)close.invokeExact(fd), "close");
            }
        }
    }

    /** struct msghdr: name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48. */
    private static MemorySegment msghdr(final Arena arena, final MemorySegment iov, final MemorySegment control)
    {
        final MemorySegment message = arena.allocate(56, 8);
        message.set(ValueLayout.ADDRESS, 16, iov);
        message.set(LONG, 24, 1);
        message.set(ValueLayout.ADDRESS, 32, control);
        message.set(LONG, 40, control.byteSize());
        return message;
    }

    /** mmap's result as a segment of SIZE bytes; MAP_FAILED is (void *)-1. */
    private static MemorySegment mapped(final MemorySegment address)
    {
        if (address.address() == -1L)
        {
            throw new IllegalStateException("mmap failed");
        }
        return address.reinterpret(SIZE);
    }

    private static void check(final int rc, final String what)
    {
        if (rc < 0)
        {
            throw new IllegalStateException(what + " failed: " + rc);
        }
    }
}
