package io.rum.net.reliability;

import io.rum.net.frame.FragmentFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Reassembles one fragmented message: which fragments are held (a bitmap), and the bytes, placed by
 * fragment index. Memory is reserved from the node's {@link ReassemblyBudget} when the message starts and
 * given back when it is finished with. Duty cycle only: one thread at a time (see ReliableTransport).
 */
final class InboundTransfer
{
    static final int NEW = 0;
    static final int DUPLICATE = 1;
    static final int MISMATCH = 2;

    private final int retainBytes;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
    private byte[] storage = new byte[0];
    private long[] held = new long[1];
    private int messageLength = -1;
    private int chunkLength;
    private int fragmentCount;
    private int heldCount;
    private int cumulative;
    private long reservedBytes;

    InboundTransfer(final int retainBytes)
    {
        this.retainBytes = retainBytes;
    }

    boolean isStarted()
    {
        return messageLength >= 0;
    }

    boolean isComplete()
    {
        return messageLength >= 0 && heldCount == fragmentCount;
    }

    /**
     * Starts a message after validation (the frame validator checked the lengths).
     *
     * @return false if the budget has no room for it.
     */
    boolean start(final int messageLength, final int chunkLength, final ReassemblyBudget budget)
    {
        if (!budget.tryReserve(messageLength))
        {
            return false;
        }
        reservedBytes = messageLength;
        this.messageLength = messageLength;
        this.chunkLength = chunkLength;
        this.fragmentCount = FragmentFlyweight.fragmentCount(messageLength, chunkLength);
        this.heldCount = 0;
        this.cumulative = 0;
        final int words = (fragmentCount + 63) >>> 6;
        if (held.length < words)
        {
            held = new long[words];
        }
        else
        {
            java.util.Arrays.fill(held, 0, words, 0L);
        }
        if (storage.length < messageLength)
        {
            storage = new byte[messageLength];
        }
        buffer.wrap(storage, 0, messageLength);
        return true;
    }

    /**
     * Places a fragment.
     *
     * @return {@link #NEW}, {@link #DUPLICATE}, or {@link #MISMATCH} if it does not belong to this message.
     */
    int accept(
        final int messageLength, final int chunkLength, final int index, final DirectBuffer src, final int srcOffset,
        final int length)
    {
        if (messageLength != this.messageLength || chunkLength != this.chunkLength)
        {
            return MISMATCH;
        }
        final long mask = 1L << (index & 63);
        final int word = index >>> 6;
        if ((held[word] & mask) != 0)
        {
            return DUPLICATE;
        }
        held[word] |= mask;
        heldCount++;
        src.getBytes(srcOffset, buffer, index * chunkLength, length);
        while (cumulative < fragmentCount && isHeld(cumulative))
        {
            cumulative++;
        }
        return NEW;
    }

    private boolean isHeld(final int index)
    {
        return (held[index >>> 6] & (1L << (index & 63))) != 0;
    }

    int cumulative()
    {
        return cumulative;
    }

    /**
     * @return bit i set if fragment {@code cumulative + 1 + i} is held.
     */
    long selectiveBits()
    {
        long bits = 0;
        final int end = Math.min(fragmentCount, cumulative + 65);
        for (int i = cumulative + 1; i < end; i++)
        {
            if (isHeld(i))
            {
                bits |= 1L << (i - cumulative - 1);
            }
        }
        return bits;
    }

    int fragmentCount()
    {
        return fragmentCount;
    }

    int messageLength()
    {
        return messageLength;
    }

    DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Gives the reserved bytes back to the budget but keeps the message readable (a finished response is read
     * by the caller after the poller let go of it).
     */
    void releaseBudget(final ReassemblyBudget budget)
    {
        if (reservedBytes > 0)
        {
            budget.release(reservedBytes);
            reservedBytes = 0;
        }
    }

    /**
     * Forgets the message and gives its memory back to the budget; large storage is dropped.
     */
    void reset(final ReassemblyBudget budget)
    {
        if (reservedBytes > 0)
        {
            budget.release(reservedBytes);
            reservedBytes = 0;
        }
        messageLength = -1;
        if (storage.length > retainBytes)
        {
            storage = new byte[0];
            held = new long[1];
            buffer.wrap(storage);
        }
    }
}
