package io.rum.bench;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.DpdkConfig;
import io.rum.net.dpdk.DpdkMedium;
import io.rum.net.dpdk.Eal;
import io.rum.net.medium.Medium;
import io.rum.net.memif.MemifMedium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The server end of the DPDK rows of {@code ./rum bench transport}: one RUM node over {@link DpdkMedium} in a
 * JVM of its own, echoing every RPC request. {@link DpdkRoundTripper} starts it as a child process.
 *
 * <pre>
 * java ... io.rum.bench.DpdkEchoNode --node=2 --mac=02:52:55:4d:b0:02 --file-prefix=rum-bench-srv \
 *      --vdev=net_memif0,role=server,id=0,socket=/tmp/b.sock,socket-abstract=no,bsize=10240 --idle=spin
 * </pre>
 *
 * <p>Prints {@code STARTED <mac>} on stdout once its port is started (a memif client may connect now),
 * {@code READY <mac>} once the link is up, then serves until stdin reaches EOF, prints
 * {@code STATS <medium and transport counters>}, closes everything (EAL included, so its runtime directory is
 * removed) and exits 0. A link that does not come up in {@code --link-timeout-ms} exits 3.
 *
 * <p>Options, all {@code --name=value}: {@code node} and {@code vdev} (required), {@code mac},
 * {@code file-prefix} (EAL's, so the parent knows which runtime directory to remove should this process die),
 * {@code memory-mb} (default 128), {@code idle} ({@code backoff}, the default of a node, {@code yield} or
 * {@code spin}), {@code cpu} (pin the poller thread to this CPU, as the C baseline pins its server) and
 * {@code link-timeout-ms} (default 30000), {@code driver} ({@code dpdk}, the default: DPDK's memif PMD through
 * {@link DpdkMedium}; {@code java}: RUM's own memif driver, {@link MemifMedium}, no EAL).
 */
public final class DpdkEchoNode
{
    private DpdkEchoNode()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final Map<String, String> options = parse(args);
        final int nodeId = Integer.parseInt(required(options, "node"));
        final String idle = options.getOrDefault("idle", "backoff");
        final long linkTimeoutMs = Long.parseLong(options.getOrDefault("link-timeout-ms", "30000"));
        final Medium medium;
        final MacAddress mac;
        final boolean up;
        if (options.getOrDefault("driver", "dpdk").equals("java"))
        {
            final MemifMedium memif = MemifMedium.open(required(options, "vdev"),
                options.containsKey("mac") ? MacAddress.parse(options.get("mac")) : null, Map.of());
            medium = memif;
            mac = memif.mac();
            System.out.println("STARTED " + mac);
            System.out.flush();
            up = memif.awaitUp(linkTimeoutMs);
        }
        else
        {
            DpdkConfig config = DpdkConfig.ofVdev(required(options, "vdev"));
            if (options.containsKey("mac"))
            {
                config = config.withMac(MacAddress.parse(options.get("mac")));
            }
            final int memoryMb = Integer.parseInt(options.getOrDefault("memory-mb", "128"));
            final DpdkMedium port;
            try (Eal eal = Eal.start(List.of(config.vdev()), memoryMb, options.get("file-prefix")))
            {
                port = DpdkMedium.open(eal, config, Map.of(), DpdkMedium.DEFAULT_MAX_PEERS);
            }
            medium = port;
            mac = port.mac();
            System.out.println("STARTED " + mac);
            System.out.flush();
            // The link is awaited before the poller starts: awaitLinkUp may only run on the poller's thread or before.
            up = port.awaitLinkUp(linkTimeoutMs);
        }
        if (!up)
        {
            System.err.println("dpdk-echo: link of " + medium.name() + " did not come up");
            medium.close();
            System.exit(3);
        }
        final ReliableTransport transport = ReliableTransport.create(TransportConfig.defaults(nodeId), medium);
        if (options.containsKey("cpu"))
        {
            transport.pinPoller(Integer.parseInt(options.get("cpu")));
        }
        transport.start(BenchOptions.idleStrategy(idle));
        transport.serve((src, request, offset, length, response) ->
        {
            response.buffer(length).putBytes(0, request, offset, length);
            response.length(length);
        });
        System.out.println("READY " + mac);
        System.out.flush();
        ChildJvm.awaitEndOfInput(System.in);
        System.out.println("STATS " + medium + "; " + transport.counters());
        System.out.flush();
        transport.close();
    }

    private static Map<String, String> parse(final String[] args)
    {
        final Map<String, String> options = new HashMap<>();
        for (final String arg : args)
        {
            final int equals = arg.indexOf('=');
            if (!arg.startsWith("--") || equals < 0)
            {
                throw new IllegalArgumentException("expected --name=value, got " + arg);
            }
            options.put(arg.substring(2, equals), arg.substring(equals + 1));
        }
        return options;
    }

    private static String required(final Map<String, String> options, final String name)
    {
        final String value = options.get(name);
        if (null == value)
        {
            throw new IllegalArgumentException("--" + name + "= is required");
        }
        return value;
    }
}
