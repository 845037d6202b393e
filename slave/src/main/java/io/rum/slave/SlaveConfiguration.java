package io.rum.slave;

import io.rum.allocator.offheap.AllocatorConfiguration;

import java.util.Locale;

/**
 * Settings of a slave, validated once.
 *
 * @param memoryBytes the memory budget for region bytes, committed lazily.
 * @param maxRegions  the most regions at once.
 */
public record SlaveConfiguration(long memoryBytes, int maxRegions)
{
    public static final long DEFAULT_MEMORY_BYTES = 4L << 30;
    public static final int DEFAULT_MAX_REGIONS = 1 << 20;
    private static final long SMALL_BUDGET_BYTES = 64L << 20;

    public SlaveConfiguration
    {
        if (memoryBytes < 64 * 1024 || memoryBytes > AllocatorConfiguration.MAX_BUDGET_BYTES)
        {
            throw new IllegalArgumentException("memory " + memoryBytes + " must be 64 KiB to 1 TiB");
        }
        if (maxRegions < 1)
        {
            throw new IllegalArgumentException("maxRegions " + maxRegions + " must be positive");
        }
    }

    public static SlaveConfiguration defaults()
    {
        return new SlaveConfiguration(DEFAULT_MEMORY_BYTES, DEFAULT_MAX_REGIONS);
    }

    public static SlaveConfiguration ofMemory(final long memoryBytes)
    {
        return new SlaveConfiguration(memoryBytes, DEFAULT_MAX_REGIONS);
    }

    /**
     * @return the client lease settings: the defaults of {@link io.rum.heartbeat.LeaseConfig}.
     */
    public io.rum.heartbeat.LeaseConfig leaseConfig()
    {
        return io.rum.heartbeat.LeaseConfig.defaults();
    }

    /**
     * The allocator's settings: the defaults (4 MiB chunks of 64 KiB pages) for budgets of 64 MiB and more,
     * 256 KiB chunks of 4 KiB pages below, so a small test slave is not one chunk. The budget is rounded up to
     * a whole page.
     */
    public AllocatorConfiguration allocatorConfiguration()
    {
        if (memoryBytes >= SMALL_BUDGET_BYTES)
        {
            final long page = AllocatorConfiguration.DEFAULT_PAGE_SIZE_BYTES;
            return AllocatorConfiguration.ofBudget((memoryBytes + page - 1) / page * page);
        }
        return new AllocatorConfiguration((memoryBytes + 4095) / 4096 * 4096, 256 * 1024, 4096);
    }

    /**
     * Parses a size: a number of bytes with an optional suffix k, m, g or t (powers of 1024, either case).
     *
     * @throws IllegalArgumentException if it is not one, or overflows.
     */
    public static long parseSize(final String text)
    {
        final String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty())
        {
            throw new IllegalArgumentException("empty size");
        }
        final char last = t.charAt(t.length() - 1);
        final int shift = switch (last)
        {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        final String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        final long value;
        try
        {
            value = Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad size \"" + text + "\": expected a number with k, m, g or t", ex);
        }
        if (value < 0 || value > Long.MAX_VALUE >> shift)
        {
            throw new IllegalArgumentException("bad size \"" + text + "\": out of range");
        }
        return value << shift;
    }

    /** @return a size as text, e.g. {@code 4 GiB} or {@code 1536 KiB}. */
    public static String formatSize(final long bytes)
    {
        final String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        long value = bytes;
        int unit = 0;
        while (unit < units.length - 1 && value >= 1024 && value % 1024 == 0)
        {
            value /= 1024;
            unit++;
        }
        return value + " " + units[unit];
    }
}
