package io.rum.net.reliability;

import io.rum.net.frame.ConnectFlyweight;
import io.rum.net.frame.FragmentAckFlyweight;
import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameHeaderFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.RejectFlyweight;
import io.rum.net.frame.StreamDataFlyweight;
import io.rum.net.frame.StreamStatusFlyweight;
import io.rum.net.medium.FaultInjectingMedium;
import io.rum.net.medium.FaultPlan;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.Medium;
import io.rum.net.transport.Payloads;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.ResponseWriter;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.StreamHandler;
import io.rum.net.transport.StreamPublication;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.DirectBuffer;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A deterministic simulation of a small RUM cluster, in the manner of TigerBeetle's VOPR: every node is a
 * {@link ReliableTransport} that is never started; one thread calls {@link ReliableTransport#doWork(long)} on
 * each node in a seeded order, then advances a {@link SimulationClock} by a seeded 5 to 20 µs. All media are
 * attached to one {@link InProcessNetwork} and wrapped in a {@link FaultInjectingMedium} that reads the same
 * clock and one shared {@link FaultPlan}, so loss, duplication, reordering, delay and partitions are decided by
 * the seed too. Nothing reads the wall clock and nothing runs on another thread, so a seed replays exactly, and
 * a hash of every frame sent and delivered (with its simulated time) proves it.
 *
 * <p>Cluster: three clients, one or two servers, a stream publisher and its subscriber. Clients keep several
 * calls in flight through {@code begin(0)}, which never waits: no free slot means "try again next step". At
 * seeded points a server (or the publisher) is closed, stays down for a while, and comes back on the same node
 * id with a larger epoch; partitions, one-way or both ways, come and heal.
 *
 * <p>At the end the network goes quiet: partitions heal, faults stop, every node is up. The run then checks
 * that the system recovers by itself (see the invariants listed on {@link #run}).
 *
 * <p>Violations are collected, not thrown, so one run reports everything it saw; each names its invariant, the
 * step and the simulated time. Replay a seed with {@code -Drum.sim.seed=<seed>}; add
 * {@code -Drum.sim.verbose=true} to print every frame.
 */
final class NetworkSimulation
{
    /** What one run saw. */
    record Result(long seed, long traceHash, long frames, long events, List<String> violations, int violationCount,
        String summary)
    {
        boolean passed()
        {
            return violationCount == 0;
        }
    }

    private enum Kind
    {
        CLIENT, SERVER, PUBLISHER, SUBSCRIBER
    }

    private static final int[] CLIENT_IDS = {1, 2, 3};
    private static final int[] SERVER_IDS = {10, 11};
    private static final int PUBLISHER_ID = 20;
    private static final int SUBSCRIBER_ID = 21;
    private static final int STREAM_ID = 7;
    private static final int FRAME_BYTES = 8192;
    private static final int RING_BYTES = 1 << 20;
    private static final int MAX_REQUEST_BYTES = 256 * 1024;
    private static final int CHUNK = FRAME_BYTES - FragmentFlyweight.PAYLOAD_OFFSET;
    private static final int STREAM_HEADER = 16;
    private static final int MAX_STREAM_MESSAGE = 32 * 1024;
    private static final long MIN_STEP_NS = 5_000;
    private static final long MAX_STEP_NS = 20_000;
    /**
     * How late a call may complete after its deadline: the transport starts the deadline at its next duty cycle
     * (one step after send), enforces it from a timer that runs every 20 µs, and we see it one step later.
     */
    static final long COMPLETION_SLACK_NS = 2 * MAX_STEP_NS + 2 * 20_000;
    private static final long MAX_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(3);
    private static final long LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);
    private static final int QUIET_STREAM_MESSAGES = 20;
    private static final int MAX_VIOLATIONS_KEPT = 40;

    private final long seed;
    private final boolean verbose;
    private final SplittableRandom random;
    private final SimulationClock clock;
    private final long startNs;
    private final InProcessNetwork network = new InProcessNetwork(FRAME_BYTES, RING_BYTES);
    private final FaultPlan plan = FaultPlan.none();
    private final TransportConfig config;
    private final TracingMedium.Observer frameObserver = this::onFrame;
    private final StreamHandler streamHandler;

    // Seeded shape of the run.
    private final int serverCount;
    private final int workloadSteps;
    private final int maxCallsPerClient;
    private final double callStartRate;
    private final long minTimeoutNs;
    private final long maxTimeoutNs;
    private final double serverRestartRate;
    private final double publisherRestartRate;
    private final double partitionRate;
    private final int maxPartitionSteps;
    private final double offerRate;
    private final int faultPhaseSteps;
    private final double maxDropRate;

    private final SimNode[] nodes;
    private final SimNode[] order;
    private final ArrayList<SimNode> clients = new ArrayList<>();
    private final ArrayList<SimNode> servers = new ArrayList<>();
    private final SimNode publisher;
    private final ArrayList<Cut> cuts = new ArrayList<>();
    private final HashMap<Long, CallRecord> calls = new HashMap<>();
    private final UnsafeBuffer scratchRequest = new UnsafeBuffer(new byte[MAX_REQUEST_BYTES]);
    private final UnsafeBuffer scratchMessage = new UnsafeBuffer(new byte[MAX_STREAM_MESSAGE]);
    private final UnsafeBuffer decodeBuffer = new UnsafeBuffer(new byte[FRAME_BYTES]);
    private final ArrayList<String> violations = new ArrayList<>();
    private int violationCount;

    private long step;
    private long nextCallId = 1;
    private long traceHash = 0xCBF29CE484222325L;
    private long frames;
    private long events;
    private boolean quiet;

    // Stream state seen by the subscriber.
    private int streamIncarnation;
    private long streamNextSequence;
    private boolean streamRestartNotified;
    private long streamDelivered;

    // Statistics for the summary.
    private final int[] statusCounts = new int[8];
    private long executions;
    private int serverRestarts;
    private int publisherRestarts;
    private int partitions;
    private int probesPeerRestarted;

    private final class SimNode
    {
        final int id;
        final Kind kind;
        ReliableTransport transport;
        long epoch;
        int incarnation;
        boolean up;
        long upStep;
        long downUntilStep;
        final LongHashSet executed = new LongHashSet();
        long shortSent;
        long shortExecuted;
        StreamPublication publication;
        long offered;
        final ArrayList<CallRecord> outstanding = new ArrayList<>();

        SimNode(final int id, final Kind kind)
        {
            this.id = id;
            this.kind = kind;
        }

        @Override
        public String toString()
        {
            return kind.name().toLowerCase() + " " + id + " (incarnation " + incarnation + ", epoch " + epoch + ")";
        }
    }

    private static final class CallRecord
    {
        final long id;
        final int client;
        final int server;
        final int length;
        final long timeoutNs;
        final long sentNs;
        final long sentStep;
        final String phase;
        final PendingCall pending;
        final LongHashSet sentEpochs = new LongHashSet();
        int status = -1;
        long doneStep = -1;
        int executions;
        boolean hangReported;

        CallRecord(
            final long id, final int client, final int server, final int length, final long timeoutNs,
            final long sentNs, final long sentStep, final String phase, final PendingCall pending)
        {
            this.id = id;
            this.client = client;
            this.server = server;
            this.length = length;
            this.timeoutNs = timeoutNs;
            this.sentNs = sentNs;
            this.sentStep = sentStep;
            this.phase = phase;
            this.pending = pending;
        }

        @Override
        public String toString()
        {
            return phase + " call " + id + " " + client + "->" + server + " (" + length + " B, timeout " +
                timeoutNs / 1000 + " µs, sent at step " + sentStep + ")";
        }
    }

    private record Cut(int from, int to, long untilStep)
    {
    }

    private NetworkSimulation(final long seed, final boolean verbose)
    {
        this.seed = seed;
        this.verbose = verbose;
        this.random = new SplittableRandom(seed);
        this.clock = new SimulationClock(drawStartNs(random));
        this.startNs = clock.nanoTime();
        this.config = drawConfig(random);

        serverCount = 1 + random.nextInt(2);
        workloadSteps = 20_000 + random.nextInt(30_000);
        maxCallsPerClient = 1 + random.nextInt(config.slotsPerSession() * serverCount + 2);
        callStartRate = 0.02 + random.nextDouble() * 0.3;
        minTimeoutNs = TimeUnit.MICROSECONDS.toNanos(500 + random.nextInt(3_000));
        maxTimeoutNs = minTimeoutNs + TimeUnit.MILLISECONDS.toNanos(1 + random.nextInt(60));
        serverRestartRate = random.nextInt(4) == 0 ? 0 : random.nextDouble() * 4.0 / workloadSteps;
        publisherRestartRate = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 4.0 / workloadSteps;
        partitionRate = random.nextInt(4) == 0 ? 0 : random.nextDouble() * 10.0 / workloadSteps;
        maxPartitionSteps = random.nextBoolean() ? 2_000 : 10_000;
        offerRate = 0.005 + random.nextDouble() * 0.1;
        faultPhaseSteps = 2_000 + random.nextInt(10_000);
        maxDropRate = random.nextInt(4) == 0 ? 0.3 : 0.1;

        streamHandler = new StreamHandler()
        {
            @Override
            public void onMessage(final int srcNode, final int streamId, final DirectBuffer buffer, final int offset,
                final int length)
            {
                onStreamMessage(srcNode, streamId, buffer, offset, length);
            }

            @Override
            public void onPublisherRestart(final int srcNode, final int streamId)
            {
                event("publisher-restart-seen", srcNode);
                streamRestartNotified = true;
            }
        };

        final ArrayList<SimNode> all = new ArrayList<>();
        for (final int id : CLIENT_IDS)
        {
            final SimNode node = new SimNode(id, Kind.CLIENT);
            clients.add(node);
            all.add(node);
        }
        for (int i = 0; i < serverCount; i++)
        {
            final SimNode node = new SimNode(SERVER_IDS[i], Kind.SERVER);
            servers.add(node);
            all.add(node);
        }
        publisher = new SimNode(PUBLISHER_ID, Kind.PUBLISHER);
        all.add(publisher);
        all.add(new SimNode(SUBSCRIBER_ID, Kind.SUBSCRIBER));
        nodes = all.toArray(new SimNode[0]);
        order = nodes.clone();
    }

    /**
     * Where simulated time starts. {@link System#nanoTime()} has an arbitrary origin: it may be negative, and
     * only differences are meaningful, so some runs start below zero and some wrap around during the run.
     */
    private static long drawStartNs(final SplittableRandom random)
    {
        final int pick = random.nextInt(8);
        if (pick == 0)
        {
            return -1_000_000_000L - random.nextLong(1L << 62);
        }
        if (pick == 1)
        {
            return Long.MAX_VALUE - random.nextLong(TimeUnit.MILLISECONDS.toNanos(400));
        }
        return 1_000_000_000L + random.nextLong(1L << 40);
    }

    private static TransportConfig drawConfig(final SplittableRandom random)
    {
        final int slots = 1 + random.nextInt(8);
        final int window = new int[]{1, 4, 8, 32}[random.nextInt(4)];
        final int credits = window * (1 + random.nextInt(4));
        final long budget = random.nextBoolean() ? 256L * 1024 * 1024 :
            MAX_REQUEST_BYTES + random.nextInt(2 * MAX_REQUEST_BYTES);
        final long initialRtoNs = random.nextBoolean() ? 200_000 : 1_000_000;
        final long minRtoNs = random.nextBoolean() ? 50_000 : 200_000;
        final long maxRtoNs = new long[]{5_000_000, 20_000_000, 50_000_000}[random.nextInt(3)];
        final int streamWindow = new int[]{4, 16, 64}[random.nextInt(3)];
        final int streamLog = random.nextBoolean() ? 64 : 256;
        final int pollLimit = random.nextBoolean() ? 8 : 64;
        // Sometimes fewer session places than clients and a short idle timeout, so servers forget sessions.
        final boolean forgetful = random.nextInt(3) == 0;
        final int maxServerSessions = forgetful ? 1 + random.nextInt(CLIENT_IDS.length) : 16;
        final long idleTimeoutNs = forgetful ? TimeUnit.MICROSECONDS.toNanos(500 + random.nextInt(20_000)) :
            TimeUnit.SECONDS.toNanos(60);
        return new TransportConfig(
            1, slots, window, credits, MAX_REQUEST_BYTES, budget, 64 * 1024,
            initialRtoNs, Math.min(minRtoNs, initialRtoNs), maxRtoNs, TimeUnit.SECONDS.toNanos(5), maxServerSessions,
            idleTimeoutNs, streamWindow, streamLog, 200_000, 16, pollLimit);
    }

    /**
     * Runs one seed. Invariants:
     * <ol>
     * <li>every call completes by its deadline plus {@link #COMPLETION_SLACK_NS} with OK, TIMEOUT, PEER_RESTARTED
     * or REJECTED;</li>
     * <li>an OK response matches its request, and the request did execute on that server; a server executes only
     * requests that were sent, uncorrupted;</li>
     * <li>at most once: no request id executes twice on one server incarnation, a request executes on an
     * incarnation only if a frame carrying it was sent to that incarnation's epoch, and never on an incarnation
     * that came up after the call completed;</li>
     * <li>liveness: after a quiet period with faults off and every node up, every new call succeeds (one probe
     * call per client and server may first fail with PEER_RESTARTED: by design, a client learns of a restart it
     * did not witness only from the rejection of a request);</li>
     * <li>stream messages arrive in order, each at most once, with no gap within a publisher incarnation, never
     * from an older incarnation after a newer one, and all of the current incarnation's messages arrive once
     * the network is quiet;</li>
     * <li>every node's reassembly budget is back to 0 bytes when all is quiet;</li>
     * <li>no handler errors;</li>
     * <li>no frame is counted malformed (the fault injector never corrupts, so one means a protocol error).</li>
     * </ol>
     */
    static Result run(final long seed, final boolean verbose)
    {
        final NetworkSimulation simulation = new NetworkSimulation(seed, verbose);
        return simulation.execute();
    }

    private Result execute()
    {
        try
        {
            for (final SimNode node : nodes)
            {
                bringUp(node);
            }
            drawFaults();
            while (step < workloadSteps)
            {
                step(true);
            }
            quiesce();
        }
        catch (final RuntimeException | AssertionError ex)
        {
            violation(0, "simulation threw " + ex + " at " + stackTop(ex));
        }
        finally
        {
            for (final SimNode node : nodes)
            {
                if (node.up)
                {
                    node.transport.close();
                }
            }
        }
        return new Result(seed, traceHash, frames, events, List.copyOf(violations), violationCount, summary());
    }

    private static String stackTop(final Throwable ex)
    {
        final StringBuilder sb = new StringBuilder();
        final StackTraceElement[] trace = ex.getStackTrace();
        for (int i = 0; i < Math.min(6, trace.length); i++)
        {
            sb.append(i == 0 ? "" : " <- ").append(trace[i]);
        }
        return sb.toString();
    }

    // --------------------------------------------------------------------------------------------------------
    // The loop.
    // --------------------------------------------------------------------------------------------------------

    private void step(final boolean workload)
    {
        step++;
        final long nowNs = clock.advance(MIN_STEP_NS + random.nextLong(MAX_STEP_NS - MIN_STEP_NS + 1));
        if (workload)
        {
            if (step % faultPhaseSteps == 0)
            {
                drawFaults();
            }
            partitions();
            restarts();
        }
        for (int i = order.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final SimNode t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (final SimNode node : order)
        {
            if (node.up)
            {
                node.transport.doWork(nowNs);
            }
        }
        for (final SimNode client : clients)
        {
            harvest(client, nowNs);
        }
        if (workload)
        {
            for (final SimNode client : clients)
            {
                if (client.outstanding.size() < maxCallsPerClient && random.nextDouble() < callStartRate)
                {
                    final SimNode server = servers.get(random.nextInt(servers.size()));
                    final long timeoutNs = minTimeoutNs + random.nextLong(maxTimeoutNs - minTimeoutNs + 1);
                    startCall(client, server, drawRequestLength(), timeoutNs, "workload");
                }
            }
            if (random.nextDouble() < offerRate)
            {
                offer();
            }
        }
    }

    private void drawFaults()
    {
        if (random.nextInt(5) == 0)
        {
            plan.drop(0).duplicate(0).reorder(0).delay(0, 0);
        }
        else
        {
            plan.drop(random.nextDouble() * maxDropRate)
                .duplicate(random.nextDouble() * 0.05)
                .reorder(random.nextDouble() * 0.1)
                .delay(random.nextDouble() * 0.1, random.nextLong(MAX_DELAY_NS));
        }
        event("faults " + plan);
    }

    private void partitions()
    {
        if (partitionRate > 0 && random.nextDouble() < partitionRate)
        {
            final int a = nodes[random.nextInt(nodes.length)].id;
            int b = a;
            while (b == a)
            {
                b = nodes[random.nextInt(nodes.length)].id;
            }
            final long until = step + 50 + random.nextInt(maxPartitionSteps);
            final boolean both = random.nextBoolean();
            cuts.add(new Cut(a, b, until));
            plan.cut(a, b);
            if (both)
            {
                cuts.add(new Cut(b, a, until));
                plan.cut(b, a);
            }
            partitions++;
            event((both ? "partition " : "cut ") + a + (both ? "<->" : "->") + b + " until step " + until);
        }
        if (cuts.removeIf(cut -> step >= cut.untilStep()))
        {
            plan.heal();
            for (final Cut cut : cuts)
            {
                plan.cut(cut.from(), cut.to());
            }
            event("healed some cuts; " + cuts.size() + " links still cut");
        }
    }

    private void restarts()
    {
        for (final SimNode server : servers)
        {
            if (server.up && serverRestartRate > 0 && random.nextDouble() < serverRestartRate)
            {
                serverRestarts++;
                bringDown(server, random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(3_000));
            }
        }
        if (publisher.up && publisherRestartRate > 0 && random.nextDouble() < publisherRestartRate)
        {
            publisherRestarts++;
            bringDown(publisher, random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(3_000));
        }
        for (final SimNode node : nodes)
        {
            if (!node.up && step >= node.downUntilStep)
            {
                bringUp(node);
            }
        }
    }

    private void bringUp(final SimNode node)
    {
        node.epoch += 1 + random.nextInt(1_000);
        node.incarnation++;
        node.upStep = step;
        node.executed.clear();
        final Medium medium = new TracingMedium(node.id,
            new FaultInjectingMedium(network.attach(node.id), plan, random.nextLong(), clock), frameObserver);
        node.transport = new ReliableTransport(config.withNodeId(node.id), medium, node.epoch, clock);
        node.up = true;
        switch (node.kind)
        {
            case SERVER -> node.transport.serve(
                (src, request, offset, length, response) -> onExecute(node, src, request, offset, length, response));
            case PUBLISHER ->
            {
                node.publication = node.transport.publication(SUBSCRIBER_ID, STREAM_ID);
                node.offered = 0;
            }
            case SUBSCRIBER -> node.transport.subscribe(STREAM_ID, streamHandler);
            case CLIENT ->
            {
            }
        }
        event("up " + node);
    }

    private void bringDown(final SimNode node, final long downSteps)
    {
        checkCounters(node);
        node.transport.close();
        node.up = false;
        node.downUntilStep = step + downSteps;
        event("down " + node + " for " + downSteps + " steps");
        if (downSteps == 0)
        {
            bringUp(node);
        }
    }

    private void quiesce()
    {
        quiet = true;
        cuts.clear();
        plan.heal();
        plan.drop(0).duplicate(0).reorder(0).delay(0, 0);
        for (final SimNode node : nodes)
        {
            if (!node.up)
            {
                bringUp(node);
            }
        }
        event("quiet");
        // Frames the injector held back before the faults stopped still arrive, up to its longest delay.
        idle(MAX_DELAY_NS + TimeUnit.MILLISECONDS.toNanos(1));

        // 1. Everything in flight completes by its deadline.
        final long drainEndNs = clock.nanoTime() + maxTimeoutNs + COMPLETION_SLACK_NS + MAX_STEP_NS;
        while (outstanding() > 0 && clock.nanoTime() - drainEndNs < 0)
        {
            step(false);
        }
        if (outstanding() > 0)
        {
            violation(1, outstanding() + " calls never completed; stopping the run here");
            return;
        }

        // 2. The stream catches up, including messages offered now.
        final long streamEndNs = clock.nanoTime() + 8 * config.maxRtoNs() + TimeUnit.MILLISECONDS.toNanos(50);
        final long target = publisher.offered + QUIET_STREAM_MESSAGES;
        while (clock.nanoTime() - streamEndNs < 0 &&
            (publisher.offered < target || streamIncarnation != publisher.incarnation ||
            streamNextSequence != publisher.offered))
        {
            step(false);
            if (publisher.offered < target)
            {
                offer();
            }
        }
        if (streamIncarnation != publisher.incarnation || streamNextSequence != publisher.offered)
        {
            violation(5, "after healing, the subscriber is at incarnation " + streamIncarnation + " message " +
                streamNextSequence + " but the publisher (incarnation " + publisher.incarnation + ") offered " +
                publisher.offered);
        }

        // 3. Probes: the first call after an unnoticed restart (or a forgotten session) may learn of it.
        // 4. Liveness: every slot of every session, each call must succeed. A server with fewer session places
        //    than clients serves them one at a time, each after the previous one's session went idle.
        if (config.maxServerSessions() < clients.size())
        {
            for (final SimNode client : clients)
            {
                idle(config.sessionIdleTimeoutNs() + TimeUnit.MILLISECONDS.toNanos(1));
                startQuietCalls(client, "probe");
                awaitCalls();
                startQuietCalls(client, "liveness");
                awaitCalls();
            }
        }
        else
        {
            for (final SimNode client : clients)
            {
                startQuietCalls(client, "probe");
            }
            awaitCalls();
            for (final SimNode client : clients)
            {
                startQuietCalls(client, "liveness");
            }
            awaitCalls();
        }

        // 5. Let the last acknowledgements land, then nothing may be held.
        for (int i = 0; i < 200; i++)
        {
            step(false);
        }
        for (final SimNode node : nodes)
        {
            final long held = node.transport.reassemblyBytes();
            if (held != 0)
            {
                violation(6, node + " holds " + held + " reassembly bytes on a quiet network");
            }
            checkCounters(node);
        }
    }

    private void startQuietCalls(final SimNode client, final String phase)
    {
        for (final SimNode server : servers)
        {
            final int n = "probe".equals(phase) ? 1 : config.slotsPerSession();
            for (int i = 0; i < n; i++)
            {
                final int length = "probe".equals(phase) ? 8 + random.nextInt(64) : drawRequestLength();
                if (!startCall(client, server, length, LIVENESS_TIMEOUT_NS, phase))
                {
                    violation(4, "no free slot for " + phase + " call " + i + " " + client.id + "->" + server.id +
                        " on a quiet network");
                    break;
                }
            }
        }
    }

    private void awaitCalls()
    {
        final long endNs = clock.nanoTime() + LIVENESS_TIMEOUT_NS + COMPLETION_SLACK_NS + MAX_STEP_NS;
        while (outstanding() > 0 && clock.nanoTime() - endNs < 0)
        {
            step(false);
        }
        if (outstanding() > 0)
        {
            violation(1, outstanding() + " quiet-period calls never completed");
        }
    }

    private void idle(final long durationNs)
    {
        final long endNs = clock.nanoTime() + durationNs;
        while (clock.nanoTime() - endNs < 0)
        {
            step(false);
        }
    }

    private int outstanding()
    {
        int n = 0;
        for (final SimNode client : clients)
        {
            n += client.outstanding.size();
        }
        return n;
    }

    private void checkCounters(final SimNode node)
    {
        final long errors = node.transport.counters().get(Counter.HANDLER_ERRORS);
        if (errors != 0)
        {
            violation(7, node + " counted " + errors + " handler errors: " + node.transport.counters());
        }
        final long malformed = node.transport.counters().get(Counter.FRAMES_MALFORMED);
        if (malformed != 0)
        {
            violation(8, node + " counted " + malformed + " malformed frames: " + node.transport.counters());
        }
    }

    // --------------------------------------------------------------------------------------------------------
    // RPC workload.
    // --------------------------------------------------------------------------------------------------------

    private int drawRequestLength()
    {
        final int pick = random.nextInt(100);
        if (pick < 45)
        {
            return Payloads.requestLength(random.nextLong(1L << 40), MAX_REQUEST_BYTES);
        }
        if (pick < 65)
        {
            return random.nextInt(65);
        }
        if (pick < 75)
        {
            final int[] edges = {0, 1, 7, 8, 9, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK - 1,
                MAX_REQUEST_BYTES - 1, MAX_REQUEST_BYTES};
            return edges[random.nextInt(edges.length)];
        }
        if (pick < 96)
        {
            return random.nextInt(32 * 1024 + 1);
        }
        return random.nextInt(MAX_REQUEST_BYTES + 1);
    }

    private boolean startCall(
        final SimNode client, final SimNode server, final int length, final long timeoutNs, final String phase)
    {
        final PendingCall pending = client.transport.rpcClient(server.id).begin(0);
        if (null == pending)
        {
            return false;
        }
        final long id = nextCallId++;
        Payloads.fillRequest(pending.request(length), id, length);
        final CallRecord call = new CallRecord(
            id, client.id, server.id, length, timeoutNs, clock.nanoTime(), step, phase, pending);
        calls.put(id, call);
        if (length < 8)
        {
            server.shortSent++;
        }
        pending.send(length, timeoutNs);
        client.outstanding.add(call);
        event("send " + call);
        return true;
    }

    private void harvest(final SimNode client, final long nowNs)
    {
        final ArrayList<CallRecord> list = client.outstanding;
        int i = 0;
        while (i < list.size())
        {
            final CallRecord call = list.get(i);
            if (call.pending.isDone())
            {
                complete(call, nowNs);
                list.remove(i);
            }
            else
            {
                if (!call.hangReported && nowNs - (call.sentNs + call.timeoutNs + COMPLETION_SLACK_NS) > 0)
                {
                    call.hangReported = true;
                    violation(1, call + " is not complete " + (nowNs - call.sentNs - call.timeoutNs) / 1000 +
                        " µs after its deadline");
                }
                i++;
            }
        }
    }

    private void complete(final CallRecord call, final long nowNs)
    {
        final int status = call.pending.status();
        call.status = status;
        call.doneStep = step;
        statusCounts[Math.min(status, statusCounts.length - 1)]++;
        mix(0xD0E, call.id, status);
        event("done " + call + ": " + RpcStatus.describe(status));
        if (status != RpcStatus.OK && status != RpcStatus.TIMEOUT && status != RpcStatus.PEER_RESTARTED &&
            status != RpcStatus.REJECTED)
        {
            violation(1, call + " completed with " + RpcStatus.describe(status));
        }
        final long lateNs = nowNs - (call.sentNs + call.timeoutNs + COMPLETION_SLACK_NS);
        if (lateNs > 0 && !call.hangReported)
        {
            violation(1, call + " completed " + lateNs / 1000 + " µs after its deadline plus slack");
        }
        if (status == RpcStatus.OK)
        {
            Payloads.fillRequest(scratchRequest, call.id, call.length);
            final String wrong = Payloads.checkResponse(
                call.id, scratchRequest, call.length, call.pending.response(), 0, call.pending.responseLength());
            if (null != wrong)
            {
                violation(2, call + ": " + wrong);
            }
            if (call.length >= 8 && call.executions == 0)
            {
                violation(2, call + " answered OK but never executed on server " + call.server);
            }
        }
        else if ("liveness".equals(call.phase))
        {
            violation(4, call + " failed on a quiet network: " + RpcStatus.describe(status));
        }
        else if ("probe".equals(call.phase) && status == RpcStatus.PEER_RESTARTED)
        {
            probesPeerRestarted++;
        }
        call.pending.release();
    }

    private void onExecute(
        final SimNode server, final int src, final DirectBuffer request, final int offset, final int length,
        final ResponseWriter response)
    {
        executions++;
        final long id = Payloads.requestId(request, offset, length);
        Payloads.writeResponse(request, offset, length, response);
        mix(0xE0E, server.id, id);
        if (verbose)
        {
            event("execute on " + server + " request " + id + " (" + length + " B) from " + src);
        }
        if (length < 8)
        {
            if (++server.shortExecuted > server.shortSent)
            {
                violation(3, server + " executed " + server.shortExecuted + " requests shorter than 8 B; only " +
                    server.shortSent + " were sent to it");
            }
            return;
        }
        final CallRecord call = calls.get(id);
        if (null == call || call.length != length || call.client != src || call.server != server.id)
        {
            violation(2, server + " executed request " + id + " (" + length + " B from " + src +
                ") that no client sent like that: " + call);
            return;
        }
        Payloads.fillRequest(scratchRequest, id, length);
        if (Payloads.crc(scratchRequest, 0, length) != Payloads.crc(request, offset, length))
        {
            violation(2, server + " executed a corrupted copy of " + call);
        }
        call.executions++;
        if (!server.executed.add(id))
        {
            violation(3, call + " executed twice on " + server);
        }
        if (!call.sentEpochs.contains(server.epoch))
        {
            violation(3, call + " executed on " + server + " but was only sent to epochs " + call.sentEpochs);
        }
        if (call.doneStep >= 0 && call.doneStep < server.upStep)
        {
            violation(3, call + " completed (" + RpcStatus.describe(call.status) + ") at step " + call.doneStep +
                " but executed on " + server + ", which came up at step " + server.upStep);
        }
    }

    // --------------------------------------------------------------------------------------------------------
    // Stream workload.
    // --------------------------------------------------------------------------------------------------------

    private void offer()
    {
        if (!publisher.up)
        {
            return;
        }
        final int length = STREAM_HEADER + (random.nextInt(4) == 0 ?
            random.nextInt(MAX_STREAM_MESSAGE - STREAM_HEADER + 1) : random.nextInt(512));
        final long sequence = publisher.offered;
        scratchMessage.putInt(0, publisher.incarnation);
        scratchMessage.putLong(4, sequence);
        scratchMessage.putInt(12, length);
        for (int i = STREAM_HEADER; i < length; i++)
        {
            scratchMessage.putByte(i, streamPattern(publisher.incarnation, sequence, i));
        }
        final long result = publisher.publication.offer(scratchMessage, 0, length);
        if (result >= 0)
        {
            publisher.offered++;
            mix(0x0FF, sequence, length);
            event("offer " + publisher.incarnation + "/" + sequence + " (" + length + " B)");
        }
        else if (result != StreamPublication.BACK_PRESSURED)
        {
            violation(5, "offer of " + length + " B failed with " + result);
        }
    }

    private static byte streamPattern(final int incarnation, final long sequence, final int index)
    {
        return (byte)(incarnation * 131 + sequence * 31 + index);
    }

    private void onStreamMessage(
        final int srcNode, final int streamId, final DirectBuffer buffer, final int offset, final int length)
    {
        streamDelivered++;
        if (srcNode != PUBLISHER_ID || streamId != STREAM_ID || length < STREAM_HEADER)
        {
            violation(5, "unexpected stream message from " + srcNode + " stream " + streamId + " (" + length + " B)");
            return;
        }
        final int incarnation = buffer.getInt(offset);
        final long sequence = buffer.getLong(offset + 4);
        mix(0x5EC, incarnation, sequence);
        event("deliver " + incarnation + "/" + sequence + " (" + length + " B)");
        if (buffer.getInt(offset + 12) != length)
        {
            violation(5, "message " + incarnation + "/" + sequence + " delivered with " + length + " B, sent with " +
                buffer.getInt(offset + 12));
            return;
        }
        for (int i = STREAM_HEADER; i < length; i++)
        {
            if (buffer.getByte(offset + i) != streamPattern(incarnation, sequence, i))
            {
                violation(5, "message " + incarnation + "/" + sequence + " corrupted at byte " + i);
                return;
            }
        }
        if (incarnation < streamIncarnation)
        {
            violation(5, "message " + incarnation + "/" + sequence + " of an old publisher incarnation delivered " +
                "after messages of incarnation " + streamIncarnation);
            return;
        }
        if (incarnation > streamIncarnation)
        {
            if (streamIncarnation != 0 && !streamRestartNotified)
            {
                violation(5, "messages of publisher incarnation " + incarnation + " delivered without " +
                    "onPublisherRestart after incarnation " + streamIncarnation);
            }
            streamIncarnation = incarnation;
            streamNextSequence = 0;
        }
        streamRestartNotified = false;
        if (sequence != streamNextSequence)
        {
            violation(5, "message " + incarnation + "/" + sequence + " delivered when " + incarnation + "/" +
                streamNextSequence + " was next: " + (sequence < streamNextSequence ? "duplicate or reordered" :
                "messages lost within one publisher incarnation"));
        }
        streamNextSequence = Math.max(streamNextSequence, sequence + 1);
    }

    // --------------------------------------------------------------------------------------------------------
    // Trace and reporting.
    // --------------------------------------------------------------------------------------------------------

    private void onFrame(
        final int nodeId, final boolean outbound, final int peer, final DirectBuffer buffer, final int offset,
        final int length)
    {
        frames++;
        final int crc = length >= FrameHeaderFlyweight.HEADER_LENGTH ?
            buffer.getInt(offset + FrameHeaderFlyweight.CRC_OFFSET, FrameHeaderFlyweight.ORDER) : 0;
        mix(clock.nanoTime(), ((long)nodeId << 32) | (outbound ? 1L << 31 : 0) | (peer & 0xFFFF),
            ((long)length << 32) | (crc & 0xFFFF_FFFFL));
        if (length < FrameHeaderFlyweight.HEADER_LENGTH)
        {
            return;
        }
        final int type = buffer.getByte(offset + FrameHeaderFlyweight.TYPE_OFFSET);
        if (outbound && type == FrameType.REQUEST && length >= FragmentFlyweight.PAYLOAD_OFFSET + 8 &&
            buffer.getInt(offset + FragmentFlyweight.FRAGMENT_INDEX_OFFSET, FrameHeaderFlyweight.ORDER) == 0 &&
            buffer.getInt(offset + FragmentFlyweight.MESSAGE_LENGTH_OFFSET, FrameHeaderFlyweight.ORDER) >= 8)
        {
            // Request ids travel in the first 8 payload bytes, in the request buffer's (native) order.
            final CallRecord call = calls.get(buffer.getLong(offset + FragmentFlyweight.PAYLOAD_OFFSET));
            if (null != call)
            {
                call.sentEpochs.add(
                    buffer.getLong(offset + FrameHeaderFlyweight.DST_EPOCH_OFFSET, FrameHeaderFlyweight.ORDER));
            }
        }
        if (verbose)
        {
            System.out.println(prefix() + nodeId + (outbound ? " sends    " : " receives ") + describe(buffer, offset,
                length));
        }
    }

    private String describe(final DirectBuffer buffer, final int offset, final int length)
    {
        decodeBuffer.putBytes(0, buffer, offset, Math.min(length, decodeBuffer.capacity()));
        final FrameHeaderFlyweight header = new FrameHeaderFlyweight().wrap(decodeBuffer, 0);
        final int type = header.type();
        final String head = FrameType.name(type) + " " + header.srcNode() + "@" + header.srcEpoch() + " -> " +
            header.dstNode() + "@" + header.dstEpoch();
        return switch (type)
        {
            case FrameType.CONNECT, FrameType.CONNECT_ACK ->
            {
                final ConnectFlyweight c = new ConnectFlyweight();
                c.wrap(decodeBuffer, 0);
                yield head + " slots=" + c.slots();
            }
            case FrameType.REQUEST, FrameType.RESPONSE ->
            {
                final FragmentFlyweight f = new FragmentFlyweight();
                f.wrap(decodeBuffer, 0);
                yield head + " slot=" + f.slot() + " req#" + f.requestNumber() + " frag " + f.fragmentIndex() + "/" +
                    FragmentFlyweight.fragmentCount(f.messageLength(), f.chunkLength()) + " len=" + f.messageLength() +
                    (f.fragmentIndex() == 0 && f.payloadLength() >= 8 ?
                    " id=" + decodeBuffer.getLong(FragmentFlyweight.PAYLOAD_OFFSET) : "");
            }
            case FrameType.FRAGMENT_ACK ->
            {
                final FragmentAckFlyweight a = new FragmentAckFlyweight();
                a.wrap(decodeBuffer, 0);
                yield head + " slot=" + a.slot() + " req#" + a.requestNumber() + " dir=" + a.direction() +
                    " flags=" + a.ackFlags() + " cum=" + a.cumulative() + " bits=" +
                    Long.toHexString(a.selectiveBits());
            }
            case FrameType.REJECT ->
            {
                final RejectFlyweight r = new RejectFlyweight();
                r.wrap(decodeBuffer, 0);
                yield head + " reason=" + r.reason() + " slot=" + r.slot() + " req#" + r.requestNumber();
            }
            case FrameType.STREAM_DATA ->
            {
                final StreamDataFlyweight d = new StreamDataFlyweight();
                d.wrap(decodeBuffer, 0);
                yield head + " seq=" + d.sequence() + " initial=" + d.initialSequence() + " flags=" + d.flags() +
                    " msgLen=" + d.messageLength();
            }
            case FrameType.STREAM_STATUS ->
            {
                final StreamStatusFlyweight s = new StreamStatusFlyweight();
                s.wrap(decodeBuffer, 0);
                yield head + " flags=" + s.flags() + " next=" + s.nextExpected() + " window=" + s.window() +
                    " bits=" + Long.toHexString(s.receivedBits());
            }
            default -> head;
        };
    }

    private String prefix()
    {
        return "[step " + step + " t=" + clock.nanoTime() + "] ";
    }

    private void event(final String what)
    {
        events++;
        if (verbose)
        {
            System.out.println(prefix() + what);
        }
    }

    private void event(final String what, final long value)
    {
        mix(what.hashCode(), value, step);
        event(what + " " + value);
    }

    private void mix(final long a, final long b, final long c)
    {
        long h = traceHash;
        h = (h ^ a) * 0x100000001B3L;
        h = (h ^ b) * 0x9E3779B97F4A7C15L;
        h = (h ^ c) * 0x100000001B3L;
        traceHash = h ^ (h >>> 31);
    }

    private void violation(final int invariant, final String what)
    {
        violationCount++;
        mix(0xBAD, invariant, step);
        final String line = "invariant " + invariant + " at step " + step + " (t=" + clock.nanoTime() + " ns" +
            (quiet ? ", quiet" : "") + "): " + what;
        if (violations.size() < MAX_VIOLATIONS_KEPT)
        {
            violations.add(line);
        }
        if (verbose)
        {
            System.out.println(prefix() + "VIOLATION " + line);
        }
    }

    private String summary()
    {
        return "servers=" + serverCount + " start=" + startNs + "ns steps=" + step + " simulated=" +
            (clock.nanoTime() - startNs) / 1000 + "µs calls=" +
            (nextCallId - 1) + " ok=" + statusCounts[RpcStatus.OK] + " timeout=" + statusCounts[RpcStatus.TIMEOUT] +
            " peerRestarted=" + statusCounts[RpcStatus.PEER_RESTARTED] + " rejected=" +
            statusCounts[RpcStatus.REJECTED] + " executions=" + executions + " probesPeerRestarted=" +
            probesPeerRestarted + " streamDelivered=" + streamDelivered + " serverRestarts=" + serverRestarts +
            " publisherRestarts=" + publisherRestarts + " partitions=" + partitions + " frames=" + frames +
            " config=" + config;
    }
}
