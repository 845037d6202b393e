package io.rum.jcache.remote;

import io.rum.allocator.placement.Member;
import io.rum.allocator.placement.PartitionTable;
import io.rum.allocator.protocol.Status;
import io.rum.allocator.protocol.cache.CacheOpcode;
import io.rum.allocator.protocol.cache.CacheRequest;
import io.rum.allocator.protocol.cache.CacheResponse;
import io.rum.allocator.protocol.cache.Invalidation;
import io.rum.jcache.configuration.ClusterSettings;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.StreamHandler;
import io.rum.net.transport.Transport;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.cache.CacheException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * One CacheManager's connection to its slaves: the transport, which slaves are up, who owns which partition,
 * the invalidation stream of the hot tiers, and a keeper thread that renews subscriptions and probes slaves
 * taken as down.
 *
 * <h2>Failover</h2>
 * Keys are placed by weighted rendezvous over the slaves this client takes as up ({@link PartitionTable}). A slave
 * that leaves a call unanswered for the attempt timeout (the transport retransmits meanwhile) is taken as down:
 * its partitions move to the next slaves in rendezvous order, the operation is retried there within its overall
 * deadline, and the keeper probes the slave until it answers again. Entries that were on a slave that failed are
 * gone (there is no replication yet), and so is anything written to a stand-in while a slave was taken as down,
 * once that slave is back: both are limits the replication step removes. Every hot tier is cleared whenever the
 * placement changes.
 *
 * <h2>Threads</h2>
 * Any thread may call; calls run the transport's duty cycle while they wait. The keeper thread,
 * {@code rum-jcache-keeper-<node>}, is started here and stopped (joined) by {@link #close}.
 */
public final class SlaveCluster implements AutoCloseable {
    /** The stream on which slaves send this client invalidations. */
    public static final int INVALIDATION_STREAM = 80;
    private static final Logger LOG = System.getLogger(SlaveCluster.class.getName());
    private static final long KEEPER_PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long RENEW_PERIOD_NS = TimeUnit.SECONDS.toNanos(1);

    private final Transport transport;
    private final List<Member> members;
    private final ClusterSettings settings;
    private final AutoCloseable owned;
    private final Map<Integer, String> down = new ConcurrentHashMap<>();
    private final Map<Long, HotTier> tiers = new ConcurrentHashMap<>();
    private final Thread keeper;
    private volatile View view;
    private volatile boolean closed;

    /** The placement this client uses now: a table over the slaves it takes as up (null if none is). */
    record View(PartitionTable table, long generation) {
    }

    private final NanoClock clock;

    private SlaveCluster(Transport transport, List<Member> members, ClusterSettings settings, AutoCloseable owned,
                         NanoClock clock) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("no slaves to keep entries on");
        }
        this.transport = transport;
        this.members = List.copyOf(members);
        this.settings = settings;
        this.owned = owned;
        this.clock = clock;
        this.view = new View(PartitionTable.build(this.members), 0);
        transport.subscribe(INVALIDATION_STREAM, new InvalidationHandler());
        this.keeper = Thread.ofPlatform().name("rum-jcache-keeper-" + transport.nodeId()).daemon()
            .unstarted(this::keep);
        keeper.start();
    }

    /**
     * Connects to slaves over a started transport.
     *
     * @param owned closed after the transport when this cluster closes (e.g. embedded slaves); may be null.
     */
    public static SlaveCluster connect(Transport transport, List<Member> slaves, ClusterSettings settings,
                                       AutoCloseable owned) {
        return connect(transport, slaves, settings, owned, SystemNanoClock.INSTANCE);
    }

    /**
     * Like {@link #connect(Transport, List, ClusterSettings, AutoCloseable)}, with the clock hot tiers measure
     * entry lifetimes by: it must run at the slaves' clock's rate (tests drive both).
     */
    public static SlaveCluster connect(Transport transport, List<Member> slaves, ClusterSettings settings,
                                       AutoCloseable owned, NanoClock clock) {
        return new SlaveCluster(transport, slaves, settings, owned, clock);
    }

    /** @return the clock hot tiers measure entry lifetimes by. */
    NanoClock clock() {
        return clock;
    }

    public Transport transport() {
        return transport;
    }

    public ClusterSettings settings() {
        return settings;
    }

    View view() {
        return view;
    }

    /** @return the slaves, as configured. */
    public List<Member> members() {
        return members;
    }

    /** @return slaves taken as down, with why. */
    public Map<Integer, String> down() {
        return Map.copyOf(down);
    }

    /** Takes a slave as down after a call to it failed; moves its partitions to the others. */
    void markDown(int node, String reason) {
        if (down.putIfAbsent(node, reason) == null) {
            LOG.log(Level.WARNING, "slave " + node + " taken as down: " + reason);
            rebuild();
        }
    }

    private void markUp(int node) {
        if (down.remove(node) != null) {
            LOG.log(Level.INFO, "slave " + node + " answers again: its partitions move back to it");
            rebuild();
        }
    }

    private synchronized void rebuild() {
        final List<Member> up = new ArrayList<>();
        for (final Member m : members) {
            if (!down.containsKey(m.nodeId())) {
                up.add(m);
            }
        }
        view = new View(up.isEmpty() ? null : PartitionTable.build(up), view.generation() + 1);
        for (final HotTier tier : tiers.values()) {
            tier.clear();
        }
    }

    /** A slave restarted (its memory is empty): hot tiers forget what they had, and what they knew of it. */
    void onRestart(int node) {
        for (final HotTier tier : tiers.values()) {
            tier.forgetSlave(node);
        }
    }

    /** @return the exception for "no slave can be reached", naming each slave's state. */
    CacheException allDown(String operation) {
        final StringBuilder why = new StringBuilder();
        new TreeMap<>(down).forEach((node, reason) -> why.append("; slave ").append(node).append(": ").append(reason));
        return new CacheException(operation + " failed: no slave of " + members.size() + " can be reached" + why);
    }

    /**
     * Registers a hot tier and subscribes it on every slave that is up: the tier caches nothing from a slave until
     * its subscription there is confirmed.
     */
    void register(HotTier tier) {
        if (!sessionSubscribed) {
            // A subscription for this client's whole life: the slave keeps the client's invalidation stream while
            // any subscription holds it and releases it only when all end, so with this one it ends only when the
            // client does, and a stream is never released and opened again for a live client.
            sessionSubscribed = true;
            renewSession(settings.attemptTimeoutNs());
        }
        tiers.put(tier.cacheId(), tier);
        for (final Member m : members) {
            if (!down.containsKey(m.nodeId())) {
                subscribe(tier, m.nodeId(), settings.attemptTimeoutNs());
            }
        }
    }

    /** Forgets a hot tier and ends its subscriptions (best effort: a slave that misses it drops it after 5 s). */
    void unregister(HotTier tier) {
        if (!tiers.remove(tier.cacheId(), tier) || closed) {
            return;
        }
        for (final Member m : members) {
            if (!down.containsKey(m.nodeId())) {
                headerCall(m.nodeId(), CacheOpcode.UNSUBSCRIBE, tier.cacheId(), settings.attemptTimeoutNs());
            }
        }
    }

    /** No answer: the call could not even start (no free slot in time). */
    private static final long NO_CALL = Long.MIN_VALUE;
    /** The RPC went through but the slave answered a failure. */
    private static final long REFUSED = Long.MIN_VALUE + 1;

    /**
     * One header-only cache request ({@code argument} = the invalidation stream) to one slave.
     *
     * @return the answer's result field; {@link #REFUSED}; {@link #NO_CALL}; or, for a failed RPC, the negated
     * {@link RpcStatus} minus one (so it never collides with a result, which slaves answer as 0 or more).
     */
    private long headerCall(int node, int opcode, long cacheId, long timeoutNs) {
        final PendingCall call = transport.rpcClient(node).begin(timeoutNs);
        if (call == null) {
            return NO_CALL;
        }
        try {
            CacheRequest.writeHeader(call.request(CacheRequest.HEADER_LENGTH), opcode, 0, 0, INVALIDATION_STREAM,
                cacheId);
            call.send(CacheRequest.HEADER_LENGTH, timeoutNs);
            final int status = call.await();
            if (status == RpcStatus.PEER_RESTARTED) {
                onRestart(node);
            }
            if (status != RpcStatus.OK) {
                return -status - 1;
            }
            return call.responseLength() >= CacheResponse.HEADER_LENGTH
                && CacheResponse.status(call.response(), 0) == Status.OK
                ? CacheResponse.result(call.response(), 0) : REFUSED;
        } finally {
            call.release();
        }
    }

    /** The cache id of the client's session subscription (see {@link #register}); no cache uses it. */
    private static final long SESSION_CACHE_ID = 0;
    private volatile boolean sessionSubscribed;

    private void renewSession(long timeoutNs) {
        for (final Member m : members) {
            if (!down.containsKey(m.nodeId()) && !closed) {
                headerCall(m.nodeId(), CacheOpcode.SUBSCRIBE, SESSION_CACHE_ID, timeoutNs);
            }
        }
    }

    private void subscribe(HotTier tier, int node, long timeoutNs) {
        final long result = headerCall(node, CacheOpcode.SUBSCRIBE, tier.cacheId(), timeoutNs);
        if (result == NO_CALL) {
            return;
        }
        if (result >= 0) {
            tier.subscribed(node, result == 1);
        } else {
            tier.forgetSlave(node);
        }
    }

    /** The keeper: renews subscriptions every second and probes down slaves every 250 ms. */
    private void keep() {
        long lastRenewNs = System.nanoTime();
        while (!closed) {
            LockSupport.parkNanos(this, KEEPER_PERIOD_NS);
            if (closed) {
                break;
            }
            try {
                for (final Integer node : List.copyOf(down.keySet())) {
                    if (probe(node)) {
                        markUp(node);
                        for (final HotTier tier : tiers.values()) {
                            subscribe(tier, node, settings.attemptTimeoutNs());
                        }
                    }
                }
                final long now = System.nanoTime();
                if (now - lastRenewNs >= RENEW_PERIOD_NS) {
                    lastRenewNs = now;
                    if (sessionSubscribed) {
                        renewSession(settings.attemptTimeoutNs());
                    }
                    for (final HotTier tier : tiers.values()) {
                        for (final Member m : members) {
                            if (!down.containsKey(m.nodeId()) && !closed) {
                                subscribe(tier, m.nodeId(), settings.attemptTimeoutNs());
                            }
                        }
                    }
                }
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "cache keeper: " + e, e);
                }
            }
        }
    }

    private boolean probe(int node) {
        final long result = headerCall(node, CacheOpcode.CLOCK, 0, settings.attemptTimeoutNs());
        return result >= 0 || result == REFUSED; // any answer: the slave is up
    }

    /** Dispatches invalidations to the hot tier of their cache; runs in the transport's duty cycle. */
    private final class InvalidationHandler implements StreamHandler {
        @Override
        public void onMessage(int srcNode, int streamId, DirectBuffer buffer, int offset, int length) {
            // A message carries one record, or several when the slave held some back while the window was full.
            int at = offset;
            final int end = offset + length;
            while (end - at >= Invalidation.HEADER_LENGTH) {
                final int keyLength = Invalidation.keyLength(buffer, at);
                final HotTier tier = tiers.get(Invalidation.cacheId(buffer, at));
                if (keyLength < 0 || keyLength > end - at - Invalidation.HEADER_LENGTH) {
                    // Malformed: nothing after it can be trusted; every tier forgets.
                    tiers.values().forEach(HotTier::clear);
                    return;
                }
                if (tier != null) {
                    if (Invalidation.type(buffer, at) == Invalidation.RESET) {
                        tier.clear();
                    } else {
                        final byte[] key = new byte[keyLength];
                        buffer.getBytes(at + Invalidation.HEADER_LENGTH, key);
                        tier.onChange(Invalidation.partition(buffer, at), Invalidation.sequence(buffer, at), key);
                    }
                }
                at += Invalidation.HEADER_LENGTH + keyLength;
            }
        }

        @Override
        public void onPublisherRestart(int srcNode, int streamId) {
            onRestart(srcNode);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(keeper);
        try {
            keeper.join(TimeUnit.SECONDS.toMillis(5) + TimeUnit.NANOSECONDS.toMillis(settings.attemptTimeoutNs()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tiers.clear();
        transport.close();
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing " + owned + " failed", e);
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "SlaveCluster[" + members.size() + " slaves, node " + transport.nodeId() + ", down " +
            Objects.toString(down.keySet()) + "]";
    }
}
