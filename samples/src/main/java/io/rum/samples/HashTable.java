package io.rum.samples;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;
import io.rum.allocator.placement.KeyHash;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code ./rum hashtable [--config machines.csv] [--entries N]}: an open-addressing hash table (linear probing,
 * 16-byte slots of key and value, keys never 0) living in remote memory, with more data than the local budget.
 * Inserts N entries, overwrites a tenth, then verifies every entry and that absent keys are absent. Exits 1 if
 * any check fails.
 */
public final class HashTable
{
    private static final int SLOT_BYTES = 16;
    private final RumSegment table;
    private final long mask;
    private long probes;

    private HashTable(final RumSegment table, final long slots)
    {
        this.table = table;
        this.mask = slots - 1;
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out));
    }

    /** @return the exit code. */
    public static int run(final String[] args, final PrintStream out)
    {
        Path config = null;
        int entries = 200_000;
        try
        {
            for (int i = 0; i < args.length; i++)
            {
                switch (args[i])
                {
                    case "--config" -> config = Path.of(args[++i]);
                    case "--entries" -> entries = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException(args[i]);
                }
            }
            if (entries < 1 || entries > 1 << 28)
            {
                throw new IllegalArgumentException("--entries " + entries);
            }
        }
        catch (final RuntimeException ex)
        {
            out.println("usage: hashtable [--config machines.csv] [--entries N]  (" + ex.getMessage() + ")");
            return 2;
        }
        // Load factor at most 1/2: the table has the next power of two at or above 2 * entries slots.
        final long slots = Long.highestOneBit(2L * entries - 1) << 1;
        final long tableBytes = slots * SLOT_BYTES;
        final long budget = Math.max(256 * 1024, Math.min(tableBytes / 8 / 4096 * 4096, 64L << 20));
        final RumOptions options = RumOptions.defaults().withPageSizeBytes(4096).withLocalBudgetBytes(budget)
            .withPartitionCount(1024);
        final long startNs = System.nanoTime();
        try (SampleCluster cluster = null == config ? SampleCluster.embedded(3, Math.max(64L << 20, 2 * tableBytes),
            options) : SampleCluster.remote(config, options);
            Rum rum = cluster.newClient())
        {
            out.println("hashtable: " + entries + " entries in " + slots + " slots (" + tableBytes / 1024
                + " KiB remote, " + budget / 1024 + " KiB local budget) on " + cluster.describe());
            final HashTable map = new HashTable(rum.calloc(slots, SLOT_BYTES), slots);
            for (int i = 0; i < entries; i++)
            {
                map.put(key(i), value(i, 0));
            }
            for (int i = 0; i < entries; i += 10)
            {
                map.put(key(i), value(i, 1));
            }
            rum.flush();
            int wrong = 0;
            for (int i = 0; i < entries; i++)
            {
                final long expected = value(i, i % 10 == 0 ? 1 : 0);
                final long actual = map.get(key(i));
                if (actual != expected)
                {
                    if (wrong++ < 10)
                    {
                        out.println("FAIL hashtable: key " + key(i) + " has " + actual + ", expected " + expected);
                    }
                }
            }
            for (int i = entries; i < entries + 1000; i++)
            {
                if (map.get(key(i)) != 0)
                {
                    wrong++;
                    out.println("FAIL hashtable: absent key " + key(i) + " was found");
                }
            }
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            if (wrong > 0)
            {
                out.println("FAIL hashtable: " + wrong + " wrong entries");
                return 1;
            }
            out.printf("PASS hashtable: %d entries verified, %.2f probes per operation, %.2f s%n", entries,
                (double)map.probes / (2.1 * entries + 1000), seconds);
            return 0;
        }
    }

    private static long key(final long i)
    {
        final long k = KeyHash.mix64(i + 1);
        return k == 0 ? 1 : k;
    }

    private static long value(final long i, final int version)
    {
        return i * 3 + 1 + version * 1_000_000_007L;
    }

    private void put(final long key, final long value)
    {
        for (long slot = KeyHash.mix64(key) & mask; ; slot = (slot + 1) & mask)
        {
            probes++;
            final long at = slot * SLOT_BYTES;
            final long k = table.getLong(at);
            if (k == 0 || k == key)
            {
                table.putLong(at, key);
                table.putLong(at + 8, value);
                return;
            }
        }
    }

    /** @return the value, or 0 if absent. */
    private long get(final long key)
    {
        for (long slot = KeyHash.mix64(key) & mask; ; slot = (slot + 1) & mask)
        {
            probes++;
            final long at = slot * SLOT_BYTES;
            final long k = table.getLong(at);
            if (k == key)
            {
                return table.getLong(at + 8);
            }
            if (k == 0)
            {
                return 0;
            }
        }
    }
}
