package io.rum.allocator;

import io.rum.allocator.placement.PartitionTable;

import java.util.concurrent.TimeUnit;

/**
 * Settings of a {@link Rum} client, validated once.
 *
 * @param pageSizeBytes       the unit of local caching, fetch and write-back; a power of two, 4 KiB..1 MiB.
 * @param localBudgetBytes    the most memory all segments of one {@code Rum} hold locally (page frames); at
 *                            least 8 pages, at most 1 GiB.
 * @param prefetchPages       pages fetched after a faulting page when the fault continues a sequential run;
 *                            0 turns prefetch off.
 * @param maxRunPages         the most pages one WRITE (flush) or READ (prefetch) carries.
 * @param maxCallsInFlight    WRITE calls a flush keeps in flight at once, 1..8.
 * @param callTimeoutNs       deadline of each call to a slave, retransmissions included.
 * @param partitionCount      partitions of the placement table; every client of a cluster must use the same
 *                            value so that names are found (a power of two).
 */
public record RumOptions(
    int pageSizeBytes,
    long localBudgetBytes,
    int prefetchPages,
    int maxRunPages,
    int maxCallsInFlight,
    long callTimeoutNs,
    int partitionCount)
{
    public static final int DEFAULT_PAGE_SIZE_BYTES = 16 * 1024;
    public static final long DEFAULT_LOCAL_BUDGET_BYTES = 64L * 1024 * 1024;
    public static final long MAX_LOCAL_BUDGET_BYTES = 1L << 30;

    public RumOptions
    {
        check(pageSizeBytes >= 4096 && pageSizeBytes <= 1 << 20 && Integer.bitCount(pageSizeBytes) == 1,
            "pageSizeBytes must be a power of two in 4096..1048576: " + pageSizeBytes);
        check(localBudgetBytes >= 8L * pageSizeBytes && localBudgetBytes <= MAX_LOCAL_BUDGET_BYTES,
            "localBudgetBytes must be 8 pages to 1 GiB: " + localBudgetBytes);
        check(prefetchPages >= 0 && prefetchPages <= 256, "prefetchPages must be in 0..256: " + prefetchPages);
        check(maxRunPages >= 1 && (long)maxRunPages * pageSizeBytes <= 16L << 20,
            "maxRunPages must be at least 1 and carry at most 16 MiB: " + maxRunPages);
        check(maxCallsInFlight >= 1 && maxCallsInFlight <= 8, "maxCallsInFlight must be in 1..8: " + maxCallsInFlight);
        check(callTimeoutNs > 0, "callTimeoutNs must be positive");
        check(partitionCount >= 1 && Integer.bitCount(partitionCount) == 1, "partitionCount must be a power of two");
    }

    /** 16 KiB pages, 64 MiB local budget, 8 pages of prefetch, 64-page runs, 4 calls in flight, 5 s calls. */
    public static RumOptions defaults()
    {
        return new RumOptions(DEFAULT_PAGE_SIZE_BYTES, DEFAULT_LOCAL_BUDGET_BYTES, 8, 64, 4,
            TimeUnit.SECONDS.toNanos(5), PartitionTable.DEFAULT_PARTITION_COUNT);
    }

    public RumOptions withPageSizeBytes(final int bytes)
    {
        return new RumOptions(bytes, localBudgetBytes, prefetchPages, Math.max(1, Math.min(maxRunPages,
            (int)((16L << 20) / bytes))), maxCallsInFlight, callTimeoutNs, partitionCount);
    }

    public RumOptions withLocalBudgetBytes(final long bytes)
    {
        return new RumOptions(pageSizeBytes, bytes, prefetchPages, maxRunPages, maxCallsInFlight, callTimeoutNs,
            partitionCount);
    }

    public RumOptions withPrefetchPages(final int pages)
    {
        return new RumOptions(pageSizeBytes, localBudgetBytes, pages, maxRunPages, maxCallsInFlight, callTimeoutNs,
            partitionCount);
    }

    public RumOptions withMaxRunPages(final int pages)
    {
        return new RumOptions(pageSizeBytes, localBudgetBytes, prefetchPages, pages, maxCallsInFlight, callTimeoutNs,
            partitionCount);
    }

    public RumOptions withCallTimeoutNs(final long timeoutNs)
    {
        return new RumOptions(pageSizeBytes, localBudgetBytes, prefetchPages, maxRunPages, maxCallsInFlight, timeoutNs,
            partitionCount);
    }

    public RumOptions withPartitionCount(final int count)
    {
        return new RumOptions(pageSizeBytes, localBudgetBytes, prefetchPages, maxRunPages, maxCallsInFlight,
            callTimeoutNs, count);
    }

    /** @return the number of page frames the local budget holds. */
    public int frameCount()
    {
        return (int)(localBudgetBytes / pageSizeBytes);
    }

    private static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }
}
