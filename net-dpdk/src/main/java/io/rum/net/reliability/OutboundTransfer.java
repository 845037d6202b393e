package io.rum.net.reliability;

import io.rum.net.frame.FragmentFlyweight;
import org.agrona.DirectBuffer;

/**
 * The sender's view of one fragmented message: which fragments the receiver acknowledged, which were never
 * sent, and which may be sent now within the window. Poller thread only.
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
        if (nextUnsent < fragmentCount && nextUnsent < cumulative + window)
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
     * Marks everything sent as acknowledged; used when a response proves the whole request arrived.
     *
     * @return fragments newly acknowledged.
     */
    int ackAll()
    {
        return onAck(fragmentCount, 0);
    }

    /**
     * Applies an acknowledgement.
     *
     * @return fragments newly acknowledged (their credits can be returned).
     */
    int onAck(final int ackCumulative, final long selectiveBits)
    {
        if (data == null)
        {
            return 0;
        }
        int newly = 0;
        final int upTo = Math.min(ackCumulative, fragmentCount);
        for (int i = cumulative; i < upTo; i++)
        {
            newly += mark(i);
        }
        long bits = selectiveBits;
        while (bits != 0)
        {
            final int bit = Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            final int index = ackCumulative + 1 + bit;
            if (index < fragmentCount && index >= 0)
            {
                newly += mark(index);
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
