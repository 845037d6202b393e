package io.rum.net.reliability;

/**
 * Bounds the memory that partly received messages hold on one node. A message that does not fit is not
 * started: its fragments are dropped and the sender's retransmissions try again later, so a flood of large
 * messages slows down instead of exhausting the heap. Duty cycle only: one thread at a time (see ReliableTransport).
 */
final class ReassemblyBudget
{
    private final long limitBytes;
    private long usedBytes;

    ReassemblyBudget(final long limitBytes)
    {
        this.limitBytes = limitBytes;
    }

    boolean tryReserve(final long bytes)
    {
        if (usedBytes + bytes > limitBytes)
        {
            return false;
        }
        usedBytes += bytes;
        return true;
    }

    void release(final long bytes)
    {
        usedBytes -= bytes;
    }

    long usedBytes()
    {
        return usedBytes;
    }
}
