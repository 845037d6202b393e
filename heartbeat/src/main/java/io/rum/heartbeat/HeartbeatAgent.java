package io.rum.heartbeat;

import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcHandler;
import io.rum.net.transport.Services;
import io.rum.net.transport.Transport;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Slave-to-slave failure detection: every {@code interval} this node sends a small ping RPC to each peer, and
 * every ping it receives is a heartbeat of its sender in the {@link MembershipView}. Pings ride the reliable
 * transport, so a lost frame is retransmitted and merely arrives late, which the detector's acceptable pause
 * absorbs; a node that stops sending (crashed, paused, cut off) stops being heard.
 *
 * <p>Ping request: service byte {@link #PING}, then nothing; the response is empty. At most one ping is in
 * flight per peer: a slow peer is never flooded.
 *
 * <p>Threads: {@link #doWork(long)} runs on the agent's own thread ({@code rum-heartbeat-<node>}, woken every
 * millisecond), or a test's loop; {@link #handler()} runs on the transport's poller. The view is synchronized.
 */
public final class HeartbeatAgent implements Agent
{
    public static final int PING = Services.HEARTBEAT_FIRST;

    private final Transport transport;
    private final MembershipView view;
    private final HeartbeatConfig config;
    private final NanoClock clock;
    private final int[] peers;
    private final PendingCall[] inFlight;
    private final long[] nextPingNs;
    private long nextEvaluateNs;
    private AgentRunner runner;

    public HeartbeatAgent(
        final Transport transport, final MembershipView view, final HeartbeatConfig config, final int[] peers,
        final NanoClock clock)
    {
        this.transport = transport;
        this.view = view;
        this.config = config;
        this.peers = peers.clone();
        this.clock = clock;
        this.inFlight = new PendingCall[peers.length];
        this.nextPingNs = new long[peers.length];
        final long now = clock.nanoTime();
        for (int i = 0; i < peers.length; i++)
        {
            nextPingNs[i] = now;
        }
        nextEvaluateNs = now;
    }

    public static HeartbeatAgent start(
        final Transport transport, final MembershipView view, final HeartbeatConfig config, final int[] peers)
    {
        final HeartbeatAgent agent = new HeartbeatAgent(transport, view, config, peers, SystemNanoClock.INSTANCE);
        agent.runner = new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace, null, agent);
        AgentRunner.startOnThread(agent.runner);
        return agent;
    }

    /**
     * The handler for the heartbeat service: route {@link Services#HEARTBEAT_FIRST} to it.
     */
    public RpcHandler handler()
    {
        return (src, request, offset, length, response) ->
        {
            view.heartbeat(src, clock.nanoTime());
            response.length(0);
        };
    }

    public MembershipView view()
    {
        return view;
    }

    @Override
    public String roleName()
    {
        return "rum-heartbeat-" + transport.nodeId();
    }

    @Override
    public int doWork()
    {
        return doWork(clock.nanoTime());
    }

    public int doWork(final long nowNs)
    {
        int work = 0;
        for (int i = 0; i < peers.length; i++)
        {
            final PendingCall call = inFlight[i];
            if (null != call)
            {
                if (!call.isDone())
                {
                    continue;
                }
                call.release();
                inFlight[i] = null;
                work++;
            }
            if (nowNs - nextPingNs[i] >= 0)
            {
                nextPingNs[i] = nowNs + config.intervalNs();
                final PendingCall ping = transport.rpcClient(peers[i]).begin(0);
                if (null != ping)
                {
                    ping.request(1).putByte(0, (byte)PING);
                    // A ping older than a few intervals proves nothing new: let it go and send a fresh one.
                    ping.send(1, 4 * config.intervalNs());
                    inFlight[i] = ping;
                    work++;
                }
            }
        }
        if (nowNs - nextEvaluateNs >= 0)
        {
            nextEvaluateNs = nowNs + config.intervalNs() / 10;
            view.evaluate(nowNs);
            work++;
        }
        return work;
    }

    @Override
    public void onClose()
    {
        for (int i = 0; i < peers.length; i++)
        {
            if (null != inFlight[i] && inFlight[i].isDone())
            {
                inFlight[i].release();
            }
            inFlight[i] = null;
        }
    }

    /**
     * Stops the agent's thread. Idempotent.
     */
    public void close()
    {
        if (null != runner)
        {
            runner.close();
        }
    }
}
