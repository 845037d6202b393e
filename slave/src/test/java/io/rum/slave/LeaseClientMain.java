package io.rum.slave;

import io.rum.allocator.Rum;
import io.rum.allocator.RumException;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The client JVM of {@link LeaseProcessTest}: {@code <machines.csv>}. Allocates a named region of 4 KiB filled
 * with a pattern, and three anonymous regions of 64 KiB, then prints {@code READY <node id> <lease epoch hex>}.
 * Each line {@code go} on standard input makes it use its memory (read the named region, write an anonymous one)
 * and print {@code OK} or {@code FENCED <reason>}; it exits when standard input closes.
 */
public final class LeaseClientMain
{
    static final String NAME = "lease-test-named";
    static final int NAMED_SIZE = 4096;

    private LeaseClientMain()
    {
    }

    static byte pattern(final int index)
    {
        return (byte)(index * 13 + 5);
    }

    public static void main(final String[] args) throws Exception
    {
        final Rum rum = Rum.init(Path.of(args[0]), RumOptions.defaults().withPartitionCount(1024));
        final RumSegment named = rum.allocNamed(NAME, NAMED_SIZE);
        for (int i = 0; i < NAMED_SIZE; i++)
        {
            named.putByte(i, pattern(i));
        }
        named.flush();
        final RumSegment[] anonymous = new RumSegment[3];
        for (int i = 0; i < anonymous.length; i++)
        {
            anonymous[i] = rum.alloc(64 * 1024);
            anonymous[i].putLong(0, i);
            anonymous[i].flush();
        }
        System.out.println("READY " + rum.nodeId() + " " + Integer.toHexString(rum.leaseEpoch()));
        System.out.flush();
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while (null != (line = in.readLine()))
        {
            if (line.equals("go"))
            {
                try
                {
                    anonymous[0].putLong(8, 42);
                    anonymous[0].flush();
                    System.out.println(named.getByte(100) == pattern(100) ? "OK" : "WRONG");
                }
                catch (final RumException ex)
                {
                    System.out.println((rum.isFenced() ? "FENCED " : "ERROR ") + ex.getMessage());
                }
                System.out.flush();
            }
        }
    }
}
