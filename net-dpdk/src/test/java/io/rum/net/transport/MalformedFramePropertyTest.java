package io.rum.net.transport;

import io.rum.net.frame.ConnectFlyweight;
import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameHeaderFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.FrameValidator;
import io.rum.net.medium.ForwardingMedium;
import io.rum.net.medium.InProcessMedium;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.Medium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.TransportCounters.Counter;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Garbage at a node never escapes the poller, is always accounted for, and never disturbs the next honest call.
 *
 * <p>Two transports share one {@link InProcessNetwork}; no agent runs. The test is the poller: it calls
 * {@code doWork(nowNs)} on both with a clock that moves 10 µs a step, so every try is a deterministic
 * simulation that jqwik can replay and shrink. Garbage comes from a third medium attached as node
 * {@link #IMPOSTOR}. A frame with a valid CRC that names a live node is spoofing, which the transport does not
 * claim to detect (there is no authentication), so injected frames that check out always name the impostor.
 */
class MalformedFramePropertyTest
{
    private static final int CLIENT = 1;
    private static final int SERVER = 2;
    private static final int IMPOSTOR = 99;
    private static final long CLIENT_EPOCH = 1_000;
    private static final long SERVER_EPOCH = 2_000;
    private static final int STREAM = 7;
    private static final int MAX_FRAME = 8192;
    private static final int MAX_MESSAGE = 64 * 1024;
    private static final long BUDGET_BYTES = 1024 * 1024;
    private static final long STEP_NS = 10_000;
    private static final long CALL_TIMEOUT_NS = 100_000_000;
    private static final int MAX_STEPS = 20_000;

    private static TransportConfig config(final int nodeId)
    {
        return new TransportConfig(nodeId, 4, 8, 32, MAX_MESSAGE, BUDGET_BYTES, 16 * 1024,
            1_000_000, 200_000, 20_000_000, 1_000_000_000, 16, 60_000_000_000L, 16, 64, 200_000, 8, 64);
    }

    /**
     * Keeps a copy of every frame a transport sends: real traffic to mutate.
     */
    private static final class RecordingMedium extends ForwardingMedium
    {
        final List<byte[]> frames = new ArrayList<>();

        RecordingMedium(final Medium delegate)
        {
            super(delegate);
        }

        @Override
        public String name()
        {
            return "recording " + delegate.name();
        }

        @Override
        public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            frames.add(copy);
            return delegate.send(peer, buffer, offset, length);
        }
    }

    /**
     * Client, server and impostor, driven by hand.
     */
    private static final class Simulation implements AutoCloseable
    {
        final InProcessNetwork network = new InProcessNetwork(MAX_FRAME, 1 << 17);
        final RecordingMedium clientMedium = new RecordingMedium(network.attach(CLIENT));
        final RecordingMedium serverMedium = new RecordingMedium(network.attach(SERVER));
        // The transports' clock is the simulated one: a send runs a duty cycle at the transport's own time.
        final ReliableTransport client =
            new ReliableTransport(config(CLIENT), clientMedium, CLIENT_EPOCH, () -> this.nowNs);
        final ReliableTransport server =
            new ReliableTransport(config(SERVER), serverMedium, SERVER_EPOCH, () -> this.nowNs);
        final InProcessMedium impostor = network.attach(IMPOSTOR);
        final FrameValidator reference = new FrameValidator(MAX_MESSAGE, MAX_FRAME);
        long streamMessages;
        long nowNs = 1_000_000_000L;

        Simulation()
        {
            server.serve((src, request, offset, length, response) ->
                Payloads.writeResponse(request, offset, length, response));
            server.subscribe(STREAM, (src, stream, buffer, offset, length) -> streamMessages++);
        }

        void step()
        {
            nowNs += STEP_NS;
            assertDoesNotThrow(() -> client.doWork(nowNs), "client doWork");
            assertDoesNotThrow(() -> server.doWork(nowNs), "server doWork");
        }

        void steps(final int n)
        {
            for (int i = 0; i < n; i++)
            {
                step();
            }
        }

        /**
         * One call, driven to completion.
         *
         * @return null if it completed OK with the right response, else what went wrong.
         */
        String call(final long id, final int length)
        {
            final PendingCall call = client.rpcClient(SERVER).begin(0);
            if (null == call)
            {
                return "no free slot for call " + id;
            }
            final MutableDirectBuffer request = call.request(length);
            Payloads.fillRequest(request, id, length);
            final byte[] sent = new byte[length];
            request.getBytes(0, sent);
            call.send(length, CALL_TIMEOUT_NS);
            for (int i = 0; i < MAX_STEPS && !call.isDone(); i++)
            {
                step();
            }
            if (!call.isDone())
            {
                return "call " + id + " not done after " + MAX_STEPS + " steps";
            }
            final int status = call.status();
            final String problem = status != RpcStatus.OK ?
                "call " + id + " (" + length + " bytes): " + RpcStatus.describe(status) + " client " +
                    client.counters() + " server " + server.counters() :
                Payloads.checkResponse(id, new UnsafeBuffer(sent), length, call.response(), 0, call.responseLength());
            call.release();
            return problem;
        }

        /**
         * Real traffic of every kind: a handshake, a one-fragment and a three-fragment call, an empty call, and a
         * two-frame stream message with its status.
         */
        void warmUp()
        {
            assertNull(call(1, 100));
            assertNull(call(2, 20_000));
            assertNull(call(3, 0));
            final UnsafeBuffer message = new UnsafeBuffer(new byte[10_000]);
            assertTrue(client.publication(SERVER, STREAM).offer(message, 0, message.capacity()) > 0);
            for (int i = 0; i < MAX_STEPS && streamMessages == 0; i++)
            {
                step();
            }
            assertEquals(1, streamMessages, "stream message delivered");
            steps(100);
        }

        int inject(final int target, final byte[] bytes)
        {
            return impostor.send(target, new UnsafeBuffer(bytes), 0, bytes.length);
        }

        int validate(final byte[] bytes)
        {
            return reference.validate(new UnsafeBuffer(bytes), 0, bytes.length);
        }

        void assertHealthy()
        {
            for (final ReliableTransport node : new ReliableTransport[]{client, server})
            {
                assertEquals(0, node.counters().get(Counter.HANDLER_ERRORS), node + ": handler errors");
                assertTrue(node.reassemblyBytes() >= 0 && node.reassemblyBytes() <= BUDGET_BYTES,
                    node + ": reassembly bytes " + node.reassemblyBytes());
            }
        }

        @Override
        public void close()
        {
            client.close();
            server.close();
            impostor.close();
        }
    }

    private static long accounted(final TransportCounters counters)
    {
        return counters.get(Counter.FRAMES_MALFORMED) + counters.get(Counter.FRAMES_MISADDRESSED) +
            counters.get(Counter.FRAMES_STALE) + counters.get(Counter.REJECTS_SENT);
    }

    private static int readInt(final byte[] bytes, final int offset)
    {
        return new UnsafeBuffer(bytes).getInt(offset, FrameHeaderFlyweight.ORDER);
    }

    private static void writeInt(final byte[] bytes, final int offset, final int value)
    {
        new UnsafeBuffer(bytes).putInt(offset, value, FrameHeaderFlyweight.ORDER);
    }

    /**
     * Sets the frame length to what is there and seals: the frame now fails, if at all, for its fields.
     */
    private static void reseal(final byte[] bytes)
    {
        writeInt(bytes, FrameHeaderFlyweight.FRAME_LENGTH_OFFSET, bytes.length);
        new FrameHeaderFlyweight().wrap(new UnsafeBuffer(bytes), 0).seal();
    }

    // ----------------------------------------------------------------------------------------------------
    // (a) arbitrary bytes
    // ----------------------------------------------------------------------------------------------------

    @Property(tries = 300, seed = "7312")
    void arbitraryBytesAreCountedAndHarmless(@ForAll @Size(max = MAX_FRAME) final byte[] bytes)
    {
        try (Simulation sim = new Simulation())
        {
            sim.warmUp();
            final TransportCounters counters = sim.server.counters();
            final long received = counters.get(Counter.FRAMES_RECEIVED);
            final long accounted = accounted(counters);
            final int reason = sim.validate(bytes);
            final long byReason = sim.server.malformed(reason == FrameValidator.VALID ? 0 : reason);

            assertEquals(Medium.SENT, sim.inject(SERVER, bytes));
            sim.steps(3);

            assertEquals(received + 1, counters.get(Counter.FRAMES_RECEIVED), "the server took the frame");
            assertTrue(accounted(counters) > accounted, "counted: " + counters);
            if (reason != FrameValidator.VALID)
            {
                assertEquals(byReason + 1, sim.server.malformed(reason), FrameValidator.reasonName(reason));
            }
            sim.assertHealthy();
            assertEquals(0, sim.server.reassemblyBytes(), "garbage holds no reassembly memory");
            assertNull(sim.call(100, 5_000));
        }
    }

    /**
     * A frame whose header looks right: magic, version, a type around the known range, the impostor as source,
     * epochs the nodes really use, and body fields near the values that matter.
     */
    record ShapedFrame(
        int type, int payload, int dstNode, long srcEpoch, long dstEpoch, List<Integer> body, int lengthDelta,
        boolean seal)
    {
        byte[] bytes()
        {
            final int fixed = Math.max(FrameHeaderFlyweight.HEADER_LENGTH, FrameType.fixedLength(type));
            final int frameLength = Math.min(MAX_FRAME, fixed + (FrameType.hasPayload(type) ? payload : 0));
            final int length = Math.max(0, Math.min(MAX_FRAME, frameLength + lengthDelta));
            final byte[] bytes = new byte[Math.max(length, FrameHeaderFlyweight.HEADER_LENGTH)];
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = (byte)(i * 37);
            }
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            final FrameHeaderFlyweight header = new FrameHeaderFlyweight().wrap(buffer, 0);
            header.writeHeader(type, frameLength, IMPOSTOR, dstNode, srcEpoch, dstEpoch);
            header.flags(body.getFirst() & 0x7);
            for (int i = 0; i < body.size(); i++)
            {
                final int at = FrameHeaderFlyweight.HEADER_LENGTH + 4 * i;
                if (at + 4 <= bytes.length)
                {
                    buffer.putInt(at, body.get(i), FrameHeaderFlyweight.ORDER);
                }
            }
            if (seal && frameLength <= bytes.length)
            {
                header.seal();
            }
            return Arrays.copyOf(bytes, length);
        }
    }

    @Provide
    Arbitrary<List<ShapedFrame>> shapedFrames()
    {
        final Arbitrary<Integer> fields = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(-2, 20_000)),
            net.jqwik.api.Tuple.of(1, Arbitraries.of(0, 1, STREAM, MAX_MESSAGE, MAX_FRAME - 64, Integer.MAX_VALUE,
                Integer.MIN_VALUE, -1)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers()));
        final Arbitrary<Long> epochs = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, Arbitraries.of(0L, CLIENT_EPOCH, SERVER_EPOCH, CLIENT_EPOCH + 1)),
            net.jqwik.api.Tuple.of(1, Arbitraries.longs()));
        return Combinators.combine(
            Arbitraries.integers().between(0, FrameType.MAX_TYPE + 1),
            Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(0, 300)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, MAX_FRAME))),
            Arbitraries.of(SERVER, SERVER, SERVER, CLIENT, 0, 4242),
            epochs,
            epochs,
            fields.list().ofSize(6),
            Arbitraries.of(0, 0, 0, 0, -1, 1, -8, 8),
            Arbitraries.of(true, true, true, false)).as(ShapedFrame::new).list().ofMinSize(1).ofMaxSize(4);
    }

    private static byte[] impostorConnect()
    {
        final byte[] bytes = new byte[ConnectFlyweight.LENGTH];
        final ConnectFlyweight connect = new ConnectFlyweight();
        connect.wrap(new UnsafeBuffer(bytes), 0);
        connect.writeHeader(FrameType.CONNECT, ConnectFlyweight.LENGTH, IMPOSTOR, SERVER, CLIENT_EPOCH, 0);
        connect.slots(4).maxMessageLength(MAX_MESSAGE).maxFrameLength(MAX_FRAME);
        connect.seal();
        return bytes;
    }

    @Property(tries = 300, seed = "4242")
    void plausibleFramesAreValidatedExactlyAndHarmless(
        @ForAll("shapedFrames") final List<ShapedFrame> frames,
        @ForAll final boolean connectFirst)
    {
        try (Simulation sim = new Simulation())
        {
            sim.warmUp();
            if (connectFirst)
            {
                // With a session of its own, the impostor's requests reach slots and reassembly.
                sim.inject(SERVER, impostorConnect());
                sim.steps(2);
            }
            final TransportCounters counters = sim.server.counters();
            for (final ShapedFrame frame : frames)
            {
                final byte[] bytes = frame.bytes();
                final int reason = sim.validate(bytes);
                final long malformed = counters.get(Counter.FRAMES_MALFORMED);
                final long byReason = sim.server.malformed(reason == FrameValidator.VALID ? 0 : reason);
                final long received = counters.get(Counter.FRAMES_RECEIVED);
                assertEquals(Medium.SENT, sim.inject(SERVER, bytes));
                sim.step();
                assertEquals(received + 1, counters.get(Counter.FRAMES_RECEIVED));
                if (reason != FrameValidator.VALID)
                {
                    assertEquals(malformed + 1, counters.get(Counter.FRAMES_MALFORMED), FrameValidator.reasonName(reason));
                    assertEquals(byReason + 1, sim.server.malformed(reason), FrameValidator.reasonName(reason));
                }
                sim.assertHealthy();
            }
            sim.steps(20);
            sim.assertHealthy();
            assertNull(sim.call(200, 12_345));
            sim.assertHealthy();
        }
    }

    // ----------------------------------------------------------------------------------------------------
    // (b) mutated real frames
    // ----------------------------------------------------------------------------------------------------

    /**
     * One edit of a frame's bytes. Positions are taken modulo the current length, so every edit applies.
     */
    sealed interface Edit
    {
        byte[] apply(byte[] bytes);
    }

    record FlipBit(int bit) implements Edit
    {
        @Override
        public byte[] apply(final byte[] bytes)
        {
            if (bytes.length > 0)
            {
                final int at = bit % (bytes.length * 8);
                bytes[at / 8] ^= (byte)(1 << (at % 8));
            }
            return bytes;
        }
    }

    record Truncate(int keep) implements Edit
    {
        @Override
        public byte[] apply(final byte[] bytes)
        {
            return Arrays.copyOf(bytes, keep % (bytes.length + 1));
        }
    }

    record Extend(byte[] junk) implements Edit
    {
        @Override
        public byte[] apply(final byte[] bytes)
        {
            final byte[] longer = Arrays.copyOf(bytes, bytes.length + junk.length);
            System.arraycopy(junk, 0, longer, bytes.length, junk.length);
            return longer;
        }

        @Override
        public String toString()
        {
            return "Extend" + Arrays.toString(junk);
        }
    }

    record PutInt(int position, int value) implements Edit
    {
        @Override
        public byte[] apply(final byte[] bytes)
        {
            if (bytes.length >= 4)
            {
                writeInt(bytes, position % (bytes.length - 3), value);
            }
            return bytes;
        }
    }

    /**
     * A recorded frame (picked by index), the edits, and how it is sent: re-sealed (consistent length and CRC,
     * so only its fields can be wrong) or not, re-addressed to the target or not, to the client or the server.
     */
    record Mutation(int pick, List<Edit> edits, boolean reseal, boolean retarget, boolean atClient)
    {
    }

    @Provide
    Arbitrary<List<Mutation>> mutations()
    {
        // Positions without edge cases: jqwik would otherwise favour bit 0, which only ever breaks the magic.
        final Arbitrary<Edit> flip = Arbitraries.integers().between(0, 8 * MAX_FRAME).withoutEdgeCases()
            .map(FlipBit::new);
        final Arbitrary<Edit> truncate = Arbitraries.integers().between(0, MAX_FRAME).map(Truncate::new);
        final Arbitrary<Edit> extend = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(200)
            .map(Extend::new);
        final Arbitrary<Edit> putInt = Combinators.combine(
            Arbitraries.integers().between(1, 20).map(word -> 4 * word),
            Arbitraries.oneOf(Arbitraries.integers().between(-2, 70_000),
                Arbitraries.of(0, 1, 2, 99, Integer.MAX_VALUE, Integer.MIN_VALUE, (int)CLIENT_EPOCH, (int)SERVER_EPOCH))
        ).as(PutInt::new);
        final Arbitrary<List<Edit>> edits = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, flip), net.jqwik.api.Tuple.of(1, truncate),
            net.jqwik.api.Tuple.of(1, extend), net.jqwik.api.Tuple.of(3, putInt)).list().ofMaxSize(6);
        return Combinators.combine(
            Arbitraries.integers().between(0, 1_000),
            edits,
            Arbitraries.of(true, true, false),
            Arbitraries.of(true, false),
            Arbitraries.of(false, false, true)).as(Mutation::new).list().ofMinSize(1).ofMaxSize(4);
    }

    private static byte[] mutate(final Simulation sim, final List<byte[]> recorded, final Mutation mutation)
    {
        byte[] bytes = recorded.get(mutation.pick() % recorded.size()).clone();
        for (final Edit edit : mutation.edits())
        {
            bytes = edit.apply(bytes);
        }
        if (bytes.length >= FrameHeaderFlyweight.HEADER_LENGTH)
        {
            if (mutation.reseal())
            {
                writeInt(bytes, FrameHeaderFlyweight.SRC_NODE_OFFSET, IMPOSTOR);
                if (mutation.retarget())
                {
                    writeInt(bytes, FrameHeaderFlyweight.DST_NODE_OFFSET, mutation.atClient() ? CLIENT : SERVER);
                }
                reseal(bytes);
            }
            final int src = readInt(bytes, FrameHeaderFlyweight.SRC_NODE_OFFSET);
            if (sim.validate(bytes) == FrameValidator.VALID && (src == CLIENT || src == SERVER))
            {
                // Edits that cancel out leave a live node's frame: that would be a spoof, not garbage.
                writeInt(bytes, FrameHeaderFlyweight.SRC_NODE_OFFSET, IMPOSTOR);
                reseal(bytes);
            }
        }
        return bytes;
    }

    @Property(tries = 300, seed = "99")
    void mutatedRealFramesNeverBreakTheNextCall(
        @ForAll("mutations") final List<Mutation> mutations,
        @ForAll @IntRange(min = 0, max = 30_000) final int requestLength)
    {
        try (Simulation sim = new Simulation())
        {
            sim.warmUp();
            final List<byte[]> recorded = new ArrayList<>(sim.clientMedium.frames);
            recorded.addAll(sim.serverMedium.frames);
            for (final Mutation mutation : mutations)
            {
                final byte[] bytes = mutate(sim, recorded, mutation);
                final ReliableTransport target = mutation.atClient() ? sim.client : sim.server;
                final long received = target.counters().get(Counter.FRAMES_RECEIVED);
                final int result = sim.inject(target.nodeId(), bytes);
                sim.steps(5);
                if (result == Medium.SENT)
                {
                    assertEquals(received + 1, target.counters().get(Counter.FRAMES_RECEIVED), "taken");
                }
                else
                {
                    assertTrue(bytes.length > MAX_FRAME, "only an oversize frame is refused by the medium");
                }
                sim.assertHealthy();
            }
            sim.steps(50);
            assertNull(sim.call(300, requestLength));
            sim.assertHealthy();
        }
    }

    @Example
    void recordedTrafficCoversEveryFrameType()
    {
        try (Simulation sim = new Simulation())
        {
            sim.warmUp();
            final boolean[] seen = new boolean[FrameType.MAX_TYPE + 1];
            for (final List<byte[]> frames : List.of(sim.clientMedium.frames, sim.serverMedium.frames))
            {
                for (final byte[] frame : frames)
                {
                    assertEquals(FrameValidator.VALID, sim.validate(frame), "real traffic is valid");
                    seen[frame[FrameHeaderFlyweight.TYPE_OFFSET]] = true;
                }
            }
            for (final int type : new int[]{FrameType.CONNECT, FrameType.CONNECT_ACK, FrameType.REQUEST,
                FrameType.RESPONSE, FrameType.FRAGMENT_ACK, FrameType.STREAM_DATA, FrameType.STREAM_STATUS})
            {
                assertTrue(seen[type], FrameType.name(type) + " recorded");
            }
            assertEquals(FragmentFlyweight.fragmentCount(20_000, MAX_FRAME - 64), 3);
        }
    }
}
