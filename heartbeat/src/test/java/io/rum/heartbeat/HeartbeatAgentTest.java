package io.rum.heartbeat;

import io.rum.net.medium.FaultInjectingMedium;
import io.rum.net.medium.FaultPlan;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.RpcRouter;
import io.rum.net.transport.Services;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes pinging each other through real transports, driven in one thread on simulated time: a crashed
 * node is DOWN on both others within 1.5 s; with 5% of frames lost and 300 ms pauses of a node, two simulated
 * minutes pass without a single false DOWN.
 */
class HeartbeatAgentTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int[] NODES = {1, 2, 3};

    private static final class Clock implements NanoClock
    {
        long now = 1_000_000_000L;

        @Override
        public long nanoTime()
        {
            return now;
        }
    }

    private static final class Cluster
    {
        final Clock clock = new Clock();
        final FaultPlan plan = FaultPlan.none();
        final List<ReliableTransport> transports = new ArrayList<>();
        final List<HeartbeatAgent> agents = new ArrayList<>();
        final boolean[] running = {true, true, true};
        final boolean[] paused = new boolean[3];
        final List<String> downs = new ArrayList<>();

        Cluster(final long seed)
        {
            final InProcessNetwork network = new InProcessNetwork();
            for (final int node : NODES)
            {
                final ReliableTransport transport = new ReliableTransport(TransportConfig.defaults(node),
                    new FaultInjectingMedium(network.attach(node), plan, seed + node, clock), node, clock);
                final int[] peers = java.util.Arrays.stream(NODES).filter(n -> n != node).toArray();
                final MembershipView view = new MembershipView(HeartbeatConfig.defaults(), peers, clock.now, 2_000 * MS);
                view.addListener((peer, from, to, now) ->
                {
                    if (to == NodeState.DOWN)
                    {
                        downs.add(node + " saw " + peer + " DOWN at " + (now / MS) + " ms");
                    }
                });
                final HeartbeatAgent agent = new HeartbeatAgent(transport, view, HeartbeatConfig.defaults(), peers, clock);
                transport.serve(new RpcRouter().route(Services.HEARTBEAT_FIRST, Services.HEARTBEAT_LAST, agent.handler()));
                transports.add(transport);
                agents.add(agent);
            }
        }

        void step()
        {
            clock.now += MS;
            for (int i = 0; i < NODES.length; i++)
            {
                if (running[i] && !paused[i])
                {
                    // A few duty cycles per millisecond: enough for frames to cross and be answered.
                    for (int k = 0; k < 4; k++)
                    {
                        transports.get(i).doWork(clock.now);
                    }
                    agents.get(i).doWork(clock.now);
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void crashedNodeIsDownOnBothOthersWithinOneAndAHalfSeconds()
    {
        final Cluster cluster = new Cluster(1);
        for (int i = 0; i < 3_000; i++)
        {
            cluster.step();
        }
        assertEquals(List.of(), cluster.downs);
        final long crashAt = cluster.clock.now;
        cluster.running[2] = false;
        cluster.transports.get(2).close();
        long detectedOn1 = -1;
        long detectedOn2 = -1;
        for (int i = 0; i < 3_000 && (detectedOn1 < 0 || detectedOn2 < 0); i++)
        {
            cluster.step();
            if (detectedOn1 < 0 && cluster.agents.get(0).view().state(3) == NodeState.DOWN)
            {
                detectedOn1 = cluster.clock.now - crashAt;
            }
            if (detectedOn2 < 0 && cluster.agents.get(1).view().state(3) == NodeState.DOWN)
            {
                detectedOn2 = cluster.clock.now - crashAt;
            }
        }
        System.out.printf("node 3 crashed: DOWN on node 1 after %d ms, on node 2 after %d ms%n",
            detectedOn1 / MS, detectedOn2 / MS);
        assertTrue(detectedOn1 > 0 && detectedOn1 <= 1_500 * MS, "node 1: " + detectedOn1 / MS + " ms");
        assertTrue(detectedOn2 > 0 && detectedOn2 <= 1_500 * MS, "node 2: " + detectedOn2 / MS + " ms");
        assertEquals(NodeState.UP, cluster.agents.get(0).view().state(2), "the live peer stays UP");
    }

    @Test
    @Timeout(120)
    void noFalseDownInTwoMinutesWithFivePercentLossAndPauses()
    {
        final long seed = Long.getLong("rum.seed", 42);
        final Cluster cluster = new Cluster(seed);
        cluster.plan.drop(0.05);
        final SplittableRandom random = new SplittableRandom(seed);
        long pauseEndsAt = 0;
        long nextPauseAt = cluster.clock.now + 2_000 * MS;
        int pauses = 0;
        int paused = -1;
        for (long i = 0; i < 120_000; i++)
        {
            if (paused >= 0 && cluster.clock.now >= pauseEndsAt)
            {
                cluster.paused[paused] = false;
                paused = -1;
            }
            if (paused < 0 && cluster.clock.now >= nextPauseAt)
            {
                paused = random.nextInt(3);
                cluster.paused[paused] = true;
                pauseEndsAt = cluster.clock.now + 300 * MS;
                nextPauseAt = pauseEndsAt + (1_000 + random.nextInt(3_000)) * MS;
                pauses++;
            }
            cluster.step();
        }
        System.out.printf("2 simulated minutes, 5%% loss, %d pauses of 300 ms: %d false DOWNs%n", pauses,
            cluster.downs.size());
        assertEquals(List.of(), cluster.downs, "seed " + seed);
        assertTrue(pauses > 20);
    }
}
