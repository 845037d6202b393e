package io.rum.net.reliability;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.DpdkConfig;
import io.rum.net.dpdk.DpdkMedium;
import io.rum.net.dpdk.Eal;
import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.FrameValidator;
import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.Medium;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Java floor under RUM over memif: two JVMs ping-pong bare frames through DpdkMedium (the shim, FFM, the lcore
 * cache, frames read in place), no protocol at all. Pinned like the C baseline: SERVER_CPU for the echo JVM
 * (taskset), CLIENT_CPU for this JVM's calling thread.
 *
 *   RawMemifExp <size>            (this JVM: client; it starts "RawMemifExp echo" as the server)
 *
 * LEAN=1 adds the least a protocol like RUM's does per call, still with no sessions, slots, locks, queues or
 * clock reads: the caller's request copied into a RUM fragment frame (header, body), sealed with its CRC32C; the
 * echo validates it (FrameValidator: lengths, CRC), builds the response frame with the payload copied, seals it;
 * the client validates that and copies the payload out. RUM minus this is the price of what the lean one skips.
 */
public final class RawMemifExp
{
    private static final MacAddress SERVER = MacAddress.parse("02:52:55:4d:c0:02");
    private static final MacAddress CLIENT = MacAddress.parse("02:52:55:4d:c0:01");

    public static void main(final String[] args) throws Throwable
    {
        if (args[0].equals("echo"))
        {
            echo(args[1], args[2]);
            return;
        }
        final int size = Integer.parseInt(args[0]);
        final String tag = "rum-exp-" + ProcessHandle.current().pid();
        final Path socket = Path.of("/tmp", tag + ".sock");
        final String memif = ",id=0,socket=" + socket + ",socket-abstract=no,bsize=10240";
        final List<String> cmd = new ArrayList<>();
        if (System.getenv("SERVER_CPU") != null)
        {
            cmd.addAll(List.of("taskset", "-c", System.getenv("SERVER_CPU")));
        }
        cmd.addAll(List.of(ProcessHandle.current().info().command().get(), "-Xmx256m", "-XX:+UseParallelGC",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), RawMemifExp.class.getName(), "echo",
            "net_memif0,role=server" + memif, tag + "-srv"));
        final Process server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream()));
        System.out.println(out.readLine());
        final DpdkConfig config = DpdkConfig.ofVdev("net_memif0,role=client" + memif).withMac(CLIENT);
        final DpdkMedium medium;
        try (Eal eal = Eal.start(List.of(config.vdev()), config.memoryMb(), tag + "-cli"))
        {
            medium = DpdkMedium.open(eal, config, Map.of(2, SERVER), DpdkMedium.DEFAULT_MAX_PEERS);
        }
        medium.awaitLinkUp(10_000);
        if (System.getenv("CLIENT_CPU") != null)
        {
            MemifExp.pin(Integer.parseInt(System.getenv("CLIENT_CPU")));
        }
        final boolean lean = "1".equals(System.getenv("LEAN"));
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[lean ? FragmentFlyweight.PAYLOAD_OFFSET + size : size]);
        final UnsafeBuffer request = new UnsafeBuffer(new byte[size]);
        final UnsafeBuffer reply = new UnsafeBuffer(new byte[size]);
        final FragmentFlyweight requestFrame = new FragmentFlyweight();
        requestFrame.wrap(frame, 0);
        final FragmentFlyweight in = new FragmentFlyweight();
        final FrameValidator validator = new FrameValidator(1 << 20, 9000);
        final int peer = medium.resolve(2);
        final long[] got = new long[1];
        final FrameHandler handler = lean ?
            (p, b, o, l) ->
            {
                if (validator.validate(b, o, l) == FrameValidator.VALID)
                {
                    in.wrap(b, o);
                    b.getBytes(o + FragmentFlyweight.PAYLOAD_OFFSET, reply, 0, in.payloadLength());
                    got[0] = reply.getLong(0);
                }
            } :
            (p, b, o, l) -> got[0] = b.getLong(o);
        final int frameLength = frame.capacity();
        final int rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "4"));
        for (int round = 0; round < rounds; round++)
        {
            final Histogram h = new Histogram(10_000_000_000L, 3);
            long lost = 0;
            for (int i = 0; i < 200_000; i++)
            {
                final long t0 = System.nanoTime();
                if (lean)
                {
                    request.putLong(0, t0);
                    requestFrame.writeHeader(FrameType.REQUEST, frameLength, 1, 2, 11, 22);
                    requestFrame.writeBody(0, size, 8000, 0, i);
                    frame.putBytes(FragmentFlyweight.PAYLOAD_OFFSET, request, 0, size);
                    requestFrame.seal();
                }
                else
                {
                    frame.putLong(0, t0);
                }
                while (medium.send(peer, frame, 0, frameLength) != Medium.SENT)
                {
                    Thread.onSpinWait();
                }
                while (got[0] != t0)
                {
                    medium.poll(handler, 32);
                    if (System.nanoTime() - t0 > 100_000_000L)
                    {
                        lost++;
                        break;
                    }
                }
                final long t1 = System.nanoTime();
                if (i >= 50_000 && got[0] == t0)
                {
                    h.recordValue(t1 - t0);
                }
            }
            System.out.printf("raw java memif size=%d p50=%.2f p90=%.2f p99=%.2f lost=%d%n", size,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                lost);
        }
        // The echo JVM first: DPDK's memif PMD can crash a node that polls while its peer disconnects (README).
        server.getOutputStream().close();
        server.waitFor();
        medium.close();
        Files.deleteIfExists(socket);
    }

    private static void echo(final String vdev, final String prefix) throws Throwable
    {
        final DpdkConfig config = DpdkConfig.ofVdev(vdev).withMac(SERVER);
        final DpdkMedium medium;
        try (Eal eal = Eal.start(List.of(config.vdev()), config.memoryMb(), prefix))
        {
            medium = DpdkMedium.open(eal, config, Map.of(1, CLIENT), DpdkMedium.DEFAULT_MAX_PEERS);
        }
        System.out.println("ECHO READY");
        final boolean lean = "1".equals(System.getenv("LEAN"));
        final FrameValidator validator = new FrameValidator(1 << 20, 9000);
        final FragmentFlyweight in = new FragmentFlyweight();
        final UnsafeBuffer response = new UnsafeBuffer(new byte[9000]);
        final FragmentFlyweight out = new FragmentFlyweight();
        out.wrap(response, 0);
        final FrameHandler handler = lean ?
            (p, b, o, l) ->
            {
                if (validator.validate(b, o, l) != FrameValidator.VALID)
                {
                    return;
                }
                in.wrap(b, o);
                final int length = in.payloadLength();
                out.writeHeader(FrameType.RESPONSE, FragmentFlyweight.PAYLOAD_OFFSET + length, 2, 1, 22, 11);
                out.writeBody(in.slot(), length, 8000, 0, in.requestNumber());
                response.putBytes(FragmentFlyweight.PAYLOAD_OFFSET, b, o + FragmentFlyweight.PAYLOAD_OFFSET, length);
                out.seal();
                medium.send(p, response, 0, FragmentFlyweight.PAYLOAD_OFFSET + length);
            } :
            (p, b, o, l) -> medium.send(p, b, o, l);
        final Thread stopper = Thread.ofPlatform().start(() ->
        {
            try
            {
                while (System.in.read() >= 0)
                {
                    // until the client closes our stdin
                }
            }
            catch (final java.io.IOException ignored)
            {
                // the client is gone
            }
        });
        while (stopper.isAlive())
        {
            medium.poll(handler, 32);
        }
        medium.close();
    }
}
