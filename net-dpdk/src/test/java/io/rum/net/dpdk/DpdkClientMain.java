package io.rum.net.dpdk;

import io.rum.net.reliability.ReliableTransport;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A client node for {@link DpdkNodeMain}: the same options plus {@code --target=ID} (the echo server),
 * {@code --calls=N} (default 20000), {@code --warmup=N} (default 20000) and {@code --sizes=64,1024,4096}.
 * Makes sequential echo calls, checks every response, prints one {@code RESULT} line per size with round-trip
 * percentiles in µs, then closes and exits (0 if every call succeeded).
 */
public final class DpdkClientMain
{
    private DpdkClientMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final DpdkNodeMain.Node node = DpdkNodeMain.start(args);
        final ReliableTransport transport = node.transport();
        final int target = Integer.parseInt(node.options().getOrDefault("target", "1"));
        final int calls = Integer.parseInt(node.options().getOrDefault("calls", "20000"));
        final int warmup = Integer.parseInt(node.options().getOrDefault("warmup", "20000"));
        final int[] sizes = Arrays.stream(node.options().getOrDefault("sizes", "64,1024,4096").split(","))
            .mapToInt(Integer::parseInt).toArray();
        final RpcClient client = transport.rpcClient(target);
        final long timeoutNs = TimeUnit.SECONDS.toNanos(5);
        int failures = 0;
        for (final int size : sizes)
        {
            final UnsafeBuffer request = new UnsafeBuffer(new byte[size]);
            final long[] rtt = new long[calls];
            final int[] wrong = new int[1];
            final long retransmitsBefore = transport.counters().get(Counter.RETRANSMISSIONS);
            for (int i = -warmup; i < calls; i++)
            {
                final long tag = i;
                if (size >= 8)
                {
                    request.putLong(0, tag);
                }
                final long startNs = System.nanoTime();
                final int status = client.call(request, 0, size, (buffer, offset, length) ->
                {
                    if (length != size || (size >= 8 && buffer.getLong(offset) != tag))
                    {
                        wrong[0]++;
                    }
                }, timeoutNs);
                final long elapsedNs = System.nanoTime() - startNs;
                if (status != RpcStatus.OK)
                {
                    failures++;
                    System.err.println("call " + i + " of " + size + " B: " + RpcStatus.describe(status));
                    if (failures > 10)
                    {
                        break;
                    }
                }
                else if (i >= 0)
                {
                    rtt[i] = elapsedNs;
                }
            }
            failures += wrong[0];
            Arrays.sort(rtt);
            System.out.printf("RESULT size=%d calls=%d p50=%.2fus p99=%.2fus p999=%.2fus max=%.2fus wrong=%d " +
                "retransmissions=%d%n", size, calls, rtt[calls / 2] / 1e3, rtt[(int)(calls * 0.99)] / 1e3,
                rtt[(int)(calls * 0.999)] / 1e3, rtt[calls - 1] / 1e3, wrong[0],
                transport.counters().get(Counter.RETRANSMISSIONS) - retransmitsBefore);
        }
        System.out.flush();
        DpdkNodeMain.stop(node);
        System.exit(failures == 0 ? 0 : 1);
    }
}
