package io.rum.slave;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;

import java.nio.file.Path;

/**
 * The other JVM of {@link NamedAllocationAcrossJvmsTest}: {@code <machines.csv> <name> <size> <seed>}. Allocates
 * the named region, fills it with {@link #pattern} bytes, closes (which writes the dirty pages back) and prints
 * {@code written}.
 */
public final class NamedWriterMain
{
    private NamedWriterMain()
    {
    }

    static byte pattern(final long seed, final long index)
    {
        return (byte)(seed * 31 + index * 7 + (index >>> 9));
    }

    public static void main(final String[] args)
    {
        final Path machines = Path.of(args[0]);
        final String name = args[1];
        final long size = Long.parseLong(args[2]);
        final long seed = Long.parseLong(args[3]);
        // A small budget: most pages are written back by eviction, the rest by close.
        try (Rum rum = Rum.init(machines, RumOptions.defaults().withPageSizeBytes(4096).withLocalBudgetBytes(64 * 1024)
            .withPartitionCount(1024)))
        {
            final RumSegment segment = rum.allocNamed(name, size);
            final byte[] chunk = new byte[10_000];
            for (long at = 0; at < size; at += chunk.length)
            {
                final int n = (int)Math.min(chunk.length, size - at);
                for (int i = 0; i < n; i++)
                {
                    chunk[i] = pattern(seed, at + i);
                }
                segment.copyFrom(at, chunk, 0, n);
            }
            rum.alloc(1000).putLong(0, 1); // an anonymous region: freed by close
        }
        System.out.println("written");
    }
}
