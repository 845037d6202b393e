package io.rum.net.dpdk;

import io.rum.net.config.MacAddress;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One RUM node over {@link DpdkMedium} in its own JVM, serving an echo RPC handler: the building block of
 * the two-process tests (memif between two JVMs; af_packet between two network namespaces).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
 *      -Drum.dpdk.shim=net-dpdk/target/native/librum_dpdk_shim.so -cp ... io.rum.net.dpdk.DpdkNodeMain \
 *      --node=1 --vdev=net_memif0,role=server,id=0,socket=/tmp/rum.sock,socket-abstract=no,bsize=8192 \
 *      --mac=02:52:55:4d:00:01 --peer=2@02:52:55:4d:00:02
 * </pre>
 *
 * <p>Prints {@code STARTED <mac>} on stdout once the port is started, {@code READY <mac>} once its link is
 * up (a memif server's link comes up when its client connects, so start both before waiting for READY),
 * then serves until stdin reaches EOF, closes everything (EAL included) and exits 0. Counters go to stderr.
 *
 * <p>Options: {@code --node=ID} (required), {@code --vdev=...} (required), {@code --mac=MAC},
 * {@code --peer=ID@MAC} (repeatable), {@code --memory-mb=N}, {@code --pool=N}, {@code --max-frame=N},
 * {@code --link-timeout-ms=N}, {@code --idle=default|yield|spin} (the poller's idle strategy).
 */
public final class DpdkNodeMain
{
    private DpdkNodeMain()
    {
    }

    /** A started node. */
    record Node(ReliableTransport transport, DpdkMedium medium, Map<String, String> options)
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Node node = start(args);
        node.transport().serve((src, request, offset, length, response) ->
        {
            response.buffer(length).putBytes(0, request, offset, length);
            response.length(length);
        });
        final InputStream in = System.in;
        final byte[] sink = new byte[256];
        while (true)
        {
            try
            {
                if (in.read(sink) < 0)
                {
                    break;
                }
            }
            catch (final IOException ex)
            {
                break;
            }
        }
        stop(node);
    }

    /**
     * Parses the options, opens the port, starts the transport, prints STARTED and READY.
     */
    static Node start(final String[] args) throws InterruptedException
    {
        final Map<String, String> options = new HashMap<>();
        final Map<Integer, MacAddress> routes = new HashMap<>();
        for (final String arg : args)
        {
            if (!arg.startsWith("--") || !arg.contains("="))
            {
                throw new IllegalArgumentException("expected --name=value, got " + arg);
            }
            final String name = arg.substring(2, arg.indexOf('='));
            final String value = arg.substring(arg.indexOf('=') + 1);
            if (name.equals("peer"))
            {
                final int at = value.indexOf('@');
                routes.put(Integer.parseInt(value.substring(0, at)), MacAddress.parse(value.substring(at + 1)));
            }
            else
            {
                options.put(name, value);
            }
        }
        final int nodeId = Integer.parseInt(required(options, "node"));
        DpdkConfig config = DpdkConfig.ofVdev(required(options, "vdev"));
        if (options.containsKey("mac"))
        {
            config = config.withMac(MacAddress.parse(options.get("mac")));
        }
        if (options.containsKey("max-frame"))
        {
            config = config.withMaxFrameLength(Integer.parseInt(options.get("max-frame")));
        }
        if (options.containsKey("pool"))
        {
            config = config.withPoolSize(Integer.parseInt(options.get("pool")));
        }
        final int memoryMb = Integer.parseInt(options.getOrDefault("memory-mb", "128"));
        final DpdkMedium medium;
        try (Eal eal = Eal.start(List.of(config.vdev()), memoryMb, null))
        {
            medium = DpdkMedium.open(eal, config, routes, DpdkMedium.DEFAULT_MAX_PEERS);
        }
        System.out.println("STARTED " + medium.mac());
        System.out.flush();
        final IdleStrategy idle = switch (options.getOrDefault("idle", "default"))
        {
            case "spin" -> new BusySpinIdleStrategy();
            case "yield" -> new YieldingIdleStrategy();
            case "default" -> ReliableTransport.defaultIdleStrategy();
            default -> throw new IllegalArgumentException("--idle= spin, yield or default");
        };
        final ReliableTransport transport =
            ReliableTransport.create(TransportConfig.defaults(nodeId), medium).start(idle);
        if (!medium.awaitLinkUp(Long.parseLong(options.getOrDefault("link-timeout-ms", "30000"))))
        {
            System.err.println("node " + nodeId + ": link of " + medium.name() + " did not come up");
            transport.close();
            System.exit(3);
        }
        System.out.println("READY " + medium.mac());
        System.out.flush();
        System.err.println("node " + nodeId + " on " + medium.name() + ", max frame " + medium.maxFrameLength() +
            " B, routes " + routes);
        return new Node(transport, medium, options);
    }

    static void stop(final Node node)
    {
        final long[] stats = node.medium().portStats();
        System.err.println("node " + node.transport().nodeId() + ": " + node.medium() + "\n  port ipackets=" +
            stats[0] + " opackets=" + stats[1] + " imissed=" + stats[4] + " ierrors=" + stats[5] + " oerrors=" +
            stats[6] + " rx_nombuf=" + stats[7] + "\n  " + node.transport().counters());
        node.transport().close();
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
