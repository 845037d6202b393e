package io.rum.slave;

import io.rum.allocator.offheap.SizeClassAllocator;
import io.rum.net.Transports;
import io.rum.net.config.Machines;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;

import io.rum.allocator.protocol.Opcode;
import io.rum.allocator.protocol.RequestFlyweight;
import io.rum.allocator.protocol.ResponseFlyweight;
import io.rum.allocator.protocol.Status;
import io.rum.heartbeat.HeartbeatAgent;
import io.rum.heartbeat.HeartbeatConfig;
import io.rum.heartbeat.LeaseTable;
import io.rum.heartbeat.MembershipListener;
import io.rum.heartbeat.MembershipView;
import io.rum.net.transport.ResponseWriter;
import io.rum.net.transport.RpcHandler;
import io.rum.net.transport.RpcRouter;
import io.rum.net.transport.Services;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import io.rum.slave.cache.CacheService;
import io.rum.slave.cache.PublicationSink;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A running slave: a {@link SlaveStateMachine} served over a {@link ReliableTransport}, with client leases and,
 * once {@link #startMembership} is called, failure detection of the other slaves.
 *
 * <p>Services share the transport through an {@link RpcRouter}: remote-memory requests (after their session's
 * lease is checked and renewed: a fenced session is refused with {@link Status#FENCED}), lease renewals, and
 * slave-to-slave pings.
 *
 * <p>Threads: the router is the transport's {@link io.rum.net.transport.RpcHandler}, so every request is
 * applied inside the transport's duty cycle, one at a time in the order the cycle takes them, and so is the
 * lease timer ({@link ReliableTransport#addTimer}), which reclaims expired sessions through the state machine.
 * The duty cycle runs on the poller thread, or on the heartbeat thread while its ping waits, and is ordered by
 * the transport's lock: the state machine needs none of its own. The transport answers retransmitted requests from its cached
 * responses, so each request is applied once. {@link #close()} stops the poller first (it joins it), then
 * releases the memory, so no request runs against freed memory.
 */
public final class SlaveServer implements AutoCloseable
{
    private final ReliableTransport transport;
    private final SizeClassAllocator allocator;
    private final SlaveStateMachine stateMachine;
    private final SlaveConfiguration configuration;
    private final LeaseTable leases;
    private final CacheService cacheService;
    private final NanoClock clock = SystemNanoClock.INSTANCE;
    private volatile Consumer<String> log = System.out::println;
    private volatile RpcHandler pingHandler;
    private HeartbeatAgent heartbeat;
    private boolean closed;

    /** How often the cache service sweeps expired entries and silent subscriptions. */
    public static final long CACHE_SWEEP_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    /** How often expired leases are looked for. */
    public static final long LEASE_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private SlaveServer(final int nodeId, final SlaveConfiguration configuration,
        final Function<TransportConfig, ReliableTransport> transportFactory, final EpochClock epochClock)
    {
        this.configuration = configuration;
        this.allocator = new SizeClassAllocator(configuration.allocatorConfiguration());
        final TransportConfig transportConfig = TransportConfig.defaults(nodeId);
        this.stateMachine = new SlaveStateMachine(nodeId, allocator, configuration.maxRegions(),
            transportConfig.maxMessageLength());
        try
        {
            this.transport = transportFactory.apply(transportConfig);
        }
        catch (final RuntimeException ex)
        {
            allocator.close();
            throw ex;
        }
        this.leases = new LeaseTable(configuration.leaseConfig());
        this.cacheService = new CacheService(nodeId, allocator, epochClock, transport.maxMessageLength(),
            new PublicationSink(transport));
        transport.serve(new RpcRouter()
            .route(Services.MEMORY_FIRST, Services.MEMORY_LAST, this::onMemoryRequest)
            .route(Services.HEARTBEAT_FIRST, Services.HEARTBEAT_LAST, this::onHeartbeatRequest)
            .route(Services.CACHE_FIRST, Services.CACHE_LAST, (src, request, offset, length, response) ->
                cacheService.apply(src, request, offset, length, response, clock.nanoTime())));
        transport.addTimer(LEASE_CHECK_INTERVAL_NS, this::expireLeases);
        transport.addTimer(CACHE_SWEEP_INTERVAL_NS, cacheService::onTimer);
    }

    private void onMemoryRequest(
        final int src, final DirectBuffer request, final int offset, final int length, final ResponseWriter response)
    {
        if (length >= RequestFlyweight.HEADER_LENGTH && !renew(src, leaseEpoch(request, offset), response))
        {
            return;
        }
        stateMachine.apply(src, request, offset, length, response);
    }

    private void onHeartbeatRequest(
        final int src, final DirectBuffer request, final int offset, final int length, final ResponseWriter response)
    {
        final int opcode = request.getByte(offset) & 0xFF;
        if (opcode == HeartbeatAgent.PING)
        {
            final RpcHandler ping = pingHandler;
            if (null != ping)
            {
                ping.onRequest(src, request, offset, length, response);
            }
            else
            {
                response.length(0);
            }
        }
        else if (opcode == Opcode.LEASE_RENEW && length >= RequestFlyweight.HEADER_LENGTH)
        {
            if (renew(src, leaseEpoch(request, offset), response))
            {
                ResponseFlyweight.write(response.buffer(ResponseFlyweight.HEADER_LENGTH), Status.OK, 0, 0);
                response.length(ResponseFlyweight.HEADER_LENGTH);
            }
        }
        else
        {
            response.length(0);
        }
    }

    private static int leaseEpoch(final DirectBuffer request, final int offset)
    {
        return request.getInt(offset + RequestFlyweight.LEASE_EPOCH_OFFSET, RequestFlyweight.ORDER);
    }

    /**
     * Renews the session's lease, or answers FENCED.
     *
     * @return whether the request may go on.
     */
    private boolean renew(final int src, final int leaseEpoch, final ResponseWriter response)
    {
        if (leaseEpoch == 0 || leases.renew(src, leaseEpoch, clock.nanoTime()) == LeaseTable.VALID)
        {
            return true;
        }
        final byte[] reason = ("client " + src + " session " + Integer.toHexString(leaseEpoch) + " was silent for " +
            "longer than its lease (" + TimeUnit.NANOSECONDS.toMillis(configuration.leaseConfig().leaseNs()) +
            " ms): it is fenced, and its anonymous allocations are or will be reclaimed; open a new session")
            .getBytes(StandardCharsets.UTF_8);
        final MutableDirectBuffer out = response.buffer(ResponseFlyweight.HEADER_LENGTH + reason.length);
        ResponseFlyweight.write(out, Status.FENCED, 0, 0);
        out.putBytes(ResponseFlyweight.HEADER_LENGTH, reason);
        response.length(ResponseFlyweight.HEADER_LENGTH + reason.length);
        return false;
    }

    private void expireLeases(final long nowNs)
    {
        leases.expire(nowNs, (client, epoch) ->
        {
            final int regions = stateMachine.reclaim(client, epoch);
            log.accept("slave " + nodeId() + ": lease of client " + client + " session " + Integer.toHexString(epoch) +
                " expired: reclaimed " + regions + " anonymous regions, " + stateMachine.lastReclaimedBytes() +
                " bytes");
        });
    }

    /**
     * Starts pinging the other slaves and judging them with a phi-accrual detector; every change of a peer's
     * state is logged and told to {@code listener}.
     */
    public synchronized MembershipView startMembership(
        final int[] peers, final HeartbeatConfig config, final MembershipListener listener)
    {
        if (null != heartbeat)
        {
            throw new IllegalStateException("membership already started");
        }
        final MembershipView view = new MembershipView(config, peers, clock.nanoTime(), 5 * config.intervalNs() +
            config.acceptablePauseNs() + TimeUnit.SECONDS.toNanos(2));
        view.addListener((node, from, to, nowNs) -> log.accept("slave " + nodeId() + ": node " + node + " " + from +
            " -> " + to + " at " + System.currentTimeMillis() + " ms"));
        view.addListener(listener);
        heartbeat = HeartbeatAgent.start(transport, view, config, peers);
        pingHandler = heartbeat.handler();
        return view;
    }

    /**
     * Where log lines go (standard output by default).
     */
    public void log(final Consumer<String> sink)
    {
        this.log = sink;
    }

    /** @return the lease table's count of reclaimed sessions (poller's view). */
    public long reclaimedSessions()
    {
        return leases.reclaimed();
    }

    /**
     * Starts a slave over the medium {@code -Drum.transport} names (see {@link Transports#create}): DPDK with the
     * port of its machines.csv row, or kernel UDP.
     */
    public static SlaveServer create(final Machines machines, final int nodeId, final SlaveConfiguration configuration)
    {
        return new SlaveServer(nodeId, configuration, config -> Transports.create(machines, config),
            SystemEpochClock.INSTANCE);
    }

    /**
     * Starts a slave over kernel UDP at its address in machines.csv.
     */
    public static SlaveServer udp(final Machines machines, final int nodeId, final SlaveConfiguration configuration)
    {
        return new SlaveServer(nodeId, configuration, config -> Transports.udp(machines, config), SystemEpochClock.INSTANCE);
    }

    /**
     * Like {@link #udp(Machines, int, SlaveConfiguration)}, dropping a share of the frames it sends: for chaos
     * runs of a real cluster (what the failure detector must tolerate).
     *
     * @param dropRate share of outgoing frames to lose, 0..1.
     * @param seed     of the drop decisions, printed so a run can be replayed.
     */
    public static SlaveServer udpWithLoss(
        final Machines machines, final int nodeId, final SlaveConfiguration configuration, final double dropRate,
        final long seed)
    {
        return new SlaveServer(nodeId, configuration, config -> Transports.udp(machines, config,
            io.rum.net.medium.UdpMedium.DEFAULT_MAX_FRAME_LENGTH, medium -> new io.rum.net.medium.FaultInjectingMedium(
                medium, io.rum.net.medium.FaultPlan.none().drop(dropRate), seed, SystemNanoClock.INSTANCE)),
            SystemEpochClock.INSTANCE);
    }

    /**
     * Starts a slave of an in-process cluster.
     */
    public static SlaveServer inProcess(
        final InProcessNetwork network, final int nodeId, final SlaveConfiguration configuration)
    {
        return inProcess(network, nodeId, configuration, SystemEpochClock.INSTANCE);
    }

    /**
     * Starts a slave of an in-process cluster whose cache entries expire by {@code epochClock} (tests drive it).
     */
    public static SlaveServer inProcess(final InProcessNetwork network, final int nodeId,
        final SlaveConfiguration configuration, final EpochClock epochClock)
    {
        return new SlaveServer(nodeId, configuration, config -> Transports.inProcess(network, config), epochClock);
    }

    public int nodeId()
    {
        return transport.nodeId();
    }

    public ReliableTransport transport()
    {
        return transport;
    }

    /** @return the medium's name, e.g. {@code udp 127.0.0.1:7101}. */
    public String mediumName()
    {
        return transport.medium().name();
    }

    /** @return the start-up log line: id, medium, memory budget, region limit. */
    public String describe()
    {
        return "slave " + nodeId() + ": serving on " + mediumName() + ", memory budget "
            + SlaveConfiguration.formatSize(configuration.allocatorConfiguration().budgetBytes()) + ", at most "
            + configuration.maxRegions() + " regions, epoch " + transport.epoch();
    }

    /**
     * @return the statistics text. Reads state the poller writes, so the figures may be a moment old; for
     * logs and tests, not for decisions.
     */
    public String statsText()
    {
        return stateMachine.statsText() + "\ncache: " + cacheService.statsText();
    }

    /** Stops serving and releases the memory. Idempotent; safe from a shutdown hook. */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (null != heartbeat)
        {
            heartbeat.close();
        }
        transport.close();
        allocator.close();
    }
}
