package io.rum.net.reliability;

import io.rum.net.frame.FragmentFlyweight;
import org.agrona.DirectBuffer;

/**
 * The sender's view of one fragmented message: which fragments the receiver acknowledged, which were never
 * sent, and which may be sent now within the window. Duty cycle only: one thread at a time (see ReliableTransport).
 */
final class OutboundTransfer
{
    private DirectBuffer data;
    private int messageLength;
    private int chunkLength;
    private int fragmentCount;
    private long[] acked = new long[1];
    private int ackedCount;
    private int cumulative;
    private int nextUnsent;

    void start(final DirectBuffer data, final int messageLength, final int chunkLength)
    {
        this.data = data;
        this.messageLength = messageLength;
        this.chunkLength = chunkLength;
        this.fragmentCount = FragmentFlyweight.fragmentCount(messageLength, chunkLength);
        final int words = (fragmentCount + 63) >>> 6;
        if (acked.length < words)
        {
            acked = new long[words];
        }
        else
        {
            java.util.Arrays.fill(acked, 0, words, 0L);
        }
        ackedCount = 0;
        cumulative = 0;
        nextUnsent = 0;
    }

    void clear()
    {
        data = null;
        if (acked.length > 64)
        {
            acked = new long[1];
        }
    }

    boolean isComplete()
    {
        return data != null && ackedCount == fragmentCount;
    }

    boolean isActive()
    {
        return data != null;
    }

    DirectBuffer data()
    {
        return data;
    }

    int messageLength()
    {
        return messageLength;
    }

    int chunkLength()
    {
        return chunkLength;
    }

    int fragmentCount()
    {
        return fragmentCount;
    }

    int cumulative()
    {
        return cumulative;
    }

    int nextUnsent()
    {
        return nextUnsent;
    }

    boolean allSent()
    {
        return nextUnsent == fragmentCount;
    }

    int fragmentOffset(final int index)
    {
        return index * chunkLength;
    }

    int fragmentLength(final int index)
    {
        return Math.min(chunkLength, messageLength - index * chunkLength);
    }

    /**
     * @return the next never-sent fragment if the window allows it, else -1. Marks it sent.
     */
    int takeUnsent(final int window)
    {
        if (nextUnsent < fragmentCount && nextUnsent - cumulative < window)
        {
            return nextUnsent++;
        }
        return -1;
    }

    boolean isAcked(final int index)
    {
        return (acked[index >>> 6] & (1L << (index & 63))) != 0;
    }

    /**
     * Marks everything sent as acknowledged; used when a response proves the whole request arrived (so every
     * fragment was sent).
     *
     * @return fragments newly acknowledged.
     */
    int ackAll()
    {
        if (data == null)
        {
            return 0;
        }
        final int newly = onAck(fragmentCount, 0);
        for (int i = nextUnsent; i < fragmentCount; i++)
        {
            mark(i);
        }
        cumulative = fragmentCount;
        nextUnsent = fragmentCount;
        return newly;
    }

    /**
     * Applies an acknowledgement. Only fragments already sent count: a peer cannot hold what was never sent.
     *
     * @return sent fragments newly acknowledged (their credits can be returned).
     */
    int onAck(final int ackCumulative, final long selectiveBits)
    {
        if (data == null)
        {
            return 0;
        }
        // Only fragments that were sent can be acknowledged: anything else is a confused or lying peer, and
        // believing it would return credits that were never taken.
        int newly = 0;
        final int upTo = Math.min(ackCumulative, nextUnsent);
        for (int i = cumulative; i < upTo; i++)
        {
            newly += mark(i);
        }
        long bits = selectiveBits;
        while (bits != 0)
        {
            final int bit = Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            final long index = (long)ackCumulative + 1 + bit;
            if (index >= 0 && index < nextUnsent)
            {
                newly += mark((int)index);
            }
        }
        while (cumulative < fragmentCount && isAcked(cumulative))
        {
            cumulative++;
        }
        if (nextUnsent < cumulative)
        {
            nextUnsent = cumulative;
        }
        return newly;
    }

    private int mark(final int index)
    {
        final long mask = 1L << (index & 63);
        final int word = index >>> 6;
        if ((acked[word] & mask) != 0)
        {
            return 0;
        }
        acked[word] |= mask;
        ackedCount++;
        return 1;
    }
}
