package io.rum.net.memif;

import io.rum.net.os.Posix;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One memif control connection: a non-blocking {@code SOCK_SEQPACKET} Unix socket that carries whole
 * {@link MemifMessage}s, each with at most one descriptor beside it ({@code SCM_RIGHTS}). Owns the socket and the
 * native memory of its message, {@code struct msghdr}, {@code iovec}, control buffer and errno, all released by
 * {@link #close()}: a poller looks at the socket every millisecond, and allocates nothing to do so.
 *
 * <p>A received message's descriptor becomes the receiver's to close: {@link #takeReceivedFd()} hands it over, and
 * one nobody took is closed at the next receive, so a peer cannot make us leak descriptors. Credentials a DPDK
 * server's socket asks for ({@code SO_PASSCRED}) may come beside it and are skipped.
 */
final class MemifSocket implements AutoCloseable
{
    private static final int CONTROL_LENGTH = 64;   // CMSG_SPACE(int) 24 + CMSG_SPACE(struct ucred) 32, rounded up

    private final Arena arena = Arena.ofShared();
    private final MemorySegment messageMemory = arena.allocate(MemifMessage.LENGTH, 16);
    private final MemorySegment iov = arena.allocate(16, 8);
    private final MemorySegment header = arena.allocate(Posix.MSGHDR_SIZE, 8);
    private final MemorySegment control = arena.allocate(CONTROL_LENGTH, 8);
    private final MemorySegment callState = Posix.callState(arena);
    private final MemifMessage message = new MemifMessage(
        new UnsafeBuffer(messageMemory.address(), MemifMessage.LENGTH));
    private int fd;
    private int receivedFd = -1;

    /** @param fd a connected socket, now this object's to close. */
    MemifSocket(final int fd)
    {
        this.fd = fd;
        iov.set(ValueLayout.ADDRESS, 0, messageMemory);
        iov.set(ValueLayout.JAVA_LONG, 8, MemifMessage.LENGTH);
    }

    int fd()
    {
        return fd;
    }

    /** @return the message to fill before {@link #send}, and to read after {@link #receive}. */
    MemifMessage message()
    {
        return message;
    }

    /**
     * Sends {@link #message()}, with {@code passFd} beside it unless it is negative.
     *
     * @return 0, or {@code -errno} ({@code -EAGAIN} if the socket buffer is full: the peer stopped reading).
     */
    int send(final int passFd)
    {
        header.fill((byte)0);
        header.set(ValueLayout.ADDRESS, 16, iov);
        header.set(ValueLayout.JAVA_LONG, 24, 1);
        if (passFd >= 0)
        {
            control.fill((byte)0);
            control.set(ValueLayout.JAVA_LONG, 0, Posix.CMSGHDR_SIZE + 4);   // cmsg_len = CMSG_LEN(sizeof(int))
            control.set(ValueLayout.JAVA_INT, 8, Posix.SOL_SOCKET);
            control.set(ValueLayout.JAVA_INT, 12, Posix.SCM_RIGHTS);
            control.set(ValueLayout.JAVA_INT, 16, passFd);
            header.set(ValueLayout.ADDRESS, 32, control);
            header.set(ValueLayout.JAVA_LONG, 40, 24);                      // CMSG_SPACE(sizeof(int))
        }
        final long sent = Posix.sendmsg(fd, header, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL, callState);
        if (sent < 0)
        {
            return (int)sent;
        }
        return sent == MemifMessage.LENGTH ? 0 : -Posix.EAGAIN;
    }

    /**
     * Receives one message into {@link #message()}.
     *
     * @return {@link MemifMessage#LENGTH} for a whole message; 0 when the peer closed the connection; a positive
     *     length other than that for a malformed message; or {@code -errno} ({@code -EAGAIN}: nothing waiting).
     */
    long receive()
    {
        Posix.close(receivedFd);
        receivedFd = -1;
        header.fill((byte)0);
        header.set(ValueLayout.ADDRESS, 16, iov);
        header.set(ValueLayout.JAVA_LONG, 24, 1);
        control.fill((byte)0);
        header.set(ValueLayout.ADDRESS, 32, control);
        header.set(ValueLayout.JAVA_LONG, 40, CONTROL_LENGTH);
        final long received = Posix.recvmsg(fd, header, Posix.MSG_DONTWAIT | Posix.MSG_CMSG_CLOEXEC, callState);
        if (received <= 0)
        {
            return received;
        }
        // Walk the control messages (CMSG_NXTHDR): each is cmsg_len bytes, padded to 8.
        final long controlLength = header.get(ValueLayout.JAVA_LONG, 40);
        long at = 0;
        while (at + Posix.CMSGHDR_SIZE <= controlLength)
        {
            final long length = control.get(ValueLayout.JAVA_LONG, at);
            if (length < Posix.CMSGHDR_SIZE || at + length > controlLength)
            {
                break;
            }
            if (control.get(ValueLayout.JAVA_INT, at + 8) == Posix.SOL_SOCKET &&
                control.get(ValueLayout.JAVA_INT, at + 12) == Posix.SCM_RIGHTS)
            {
                for (long fdAt = at + Posix.CMSGHDR_SIZE; fdAt + 4 <= at + length; fdAt += 4)
                {
                    final int passed = control.get(ValueLayout.JAVA_INT, fdAt);
                    if (receivedFd < 0)
                    {
                        receivedFd = passed;
                    }
                    else
                    {
                        Posix.close(passed);  // memif passes one descriptor per message: more are closed unused
                    }
                }
            }
            at += (length + 7) & ~7L;
        }
        final int flags = header.get(ValueLayout.JAVA_INT, 48);
        if ((flags & (Posix.MSG_TRUNC | Posix.MSG_CTRUNC)) != 0)
        {
            return received == MemifMessage.LENGTH ? MemifMessage.LENGTH + 1 : received;  // malformed either way
        }
        return received;
    }

    /** @return the descriptor the last received message carried, now the caller's to close, or -1 if none. */
    int takeReceivedFd()
    {
        final int taken = receivedFd;
        receivedFd = -1;
        return taken;
    }

    @Override
    public void close()
    {
        if (fd >= 0)
        {
            Posix.close(receivedFd);
            receivedFd = -1;
            Posix.close(fd);
            fd = -1;
            arena.close();
        }
    }
}
