package io.rum.net.reliability;

import io.rum.net.frame.ConnectFlyweight;
import io.rum.net.frame.FragmentAckFlyweight;
import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameHeaderFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.FrameValidator;
import io.rum.net.frame.RejectFlyweight;
import io.rum.net.frame.StreamDataFlyweight;
import io.rum.net.frame.StreamStatusFlyweight;
import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.Medium;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcHandler;
import io.rum.net.transport.StreamHandler;
import io.rum.net.transport.StreamPublication;
import io.rum.net.transport.Transport;
import io.rum.net.transport.TransportCounters;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The one implementation of {@link Transport}: sessions, at-most-once RPC, fragmentation and reliable
 * streams, over any {@link Medium}.
 *
 * <p>Everything that touches protocol state runs in {@link #doWork(long)}, one duty cycle at a time: on the
 * poller (an Agrona agent started by {@link #start}), on an application thread waiting for its call
 * ({@link #tryDutyCycle(boolean)}: a lock orders the cycles, so the state behaves as if one thread owned it), or in a
 * test's simulation loop with its own clock. Application threads otherwise reach it only
 * through call slots handed over by a bounded queue and through stream logs; see {@link CallSlot} and
 * {@link Publication} for the hand-over rules. The poller never blocks, and each duty cycle does a bounded
 * amount of work: at most {@code pollLimit} frames, the submissions queued so far, and the timers that are due.
 *
 * <p>Frames are validated ({@link FrameValidator}) before any field is used; malformed frames are counted
 * and dropped, never thrown: no exception escapes the poller.
 */
public final class ReliableTransport implements Transport, Agent
{
    private static final int SUBMISSION_QUEUE_CAPACITY = 1 << 14;
    private static final long TIMER_INTERVAL_NS = 20_000;
    private static final long EVICTION_INTERVAL_NS = 1_000_000_000L;
    private static final int MAX_ERRORS_PRINTED = 20;
    /**
     * How long the poller parks at a time while callers drive the duty cycle: from the first to the longest,
     * doubling while they keep driving. The longest bounds how late the poller takes over when the last of them
     * leaves without asking for it (see {@link #stopDriving}); each wake-up takes a CPU from a thread that is
     * working (over memif on 2 CPUs, at a 1 ms park, the slow calls came 1 ms apart).
     */
    static final long HANDOVER_FIRST_PARK_NS = 20_000;
    static final long HANDOVER_LONGEST_PARK_NS = 1_000_000;
    /** Drivers that ran no cycle for this long are taken as stalled: the poller works again. */
    static final long DRIVER_STALL_NS = 50_000;
    static final long STALLED_RTOS = 10;
    /**
     * How many duty cycles in a row may take the previous cycle's time instead of reading the clock (21 ns here, a
     * third of an idle cycle, and on a round trip's critical path in the server's cycle and the waiting caller's):
     * only a cycle that follows an idle cycle of the same thread with nothing in between but a spin, and with no call
     * queued (its deadline counts from the time it gets). Its time is then at most this many idle cycles old, well
     * under a microsecond, unless the thread lost its CPU or stopped for a GC pause while it spun: then it may be that
     * pause old, and what the cycle receives is stamped early; the worst that does is a round-trip sample too short
     * (the timeout never goes below its 200 µs floor by default) or a retransmission sent early, which the protocol
     * absorbs as it does duplicates. A cycle that found work or ran the timers leaves the next a fresh read; yielding
     * or parking does too. Time never goes backwards: it is reused or read under the lock.
     */
    static final int CLOCK_REUSES = 15;
    /**
     * How long a thread with nothing else to do waits inside the medium for a frame in one cycle (see
     * {@link Medium#poll(FrameHandler, int, long)}): a caller waiting for its reply after its first empty cycle, the
     * poller while its idle strategy spins. Over DPDK the wait is a loop in C, which notices a frame sooner than a
     * loop of cycles around single polls (memif 64 B round trip 0.69-0.73 -> 0.63-0.66 µs, pinned). Short, because
     * the thread holds the cycle lock meanwhile: work for the cycle from other threads (a call queued because the
     * lock was busy, a stream message offered) rings {@link Medium#wake()} to end the wait, and a caller about to send
     * gets the lock first (see {@link #takeLockFromCycle}); timers run up to this late. What the cycle receives or
     * sends is stamped with the cycle's time, up to this much early (as with {@link #CLOCK_REUSES}: a round-trip
     * sample that much too short or too long, never a time going back); the next cycle reads the clock.
     */
    static final long MEDIUM_WAIT_NS = 1_000;
    /** How many times a caller tries the cycle lock again after asking the thread in a cycle to step aside. */
    static final int LOCK_RETRIES = 64;

    private final TransportConfig config;
    private final Medium medium;
    private final long epoch;
    private final NanoClock clock;
    private final TransportCounters counters = new TransportCounters();
    private final FrameWriter writer;
    private final FrameValidator validator;
    private final ReassemblyBudget budget;
    private final long[] malformedByReason = new long[FrameValidator.REASONS];

    private final ConcurrentHashMap<Integer, ClientSession> clientSessions = new ConcurrentHashMap<>();
    private final ManyToOneConcurrentArrayQueue<CallSlot> submissions =
        new ManyToOneConcurrentArrayQueue<>(SUBMISSION_QUEUE_CAPACITY);
    private final ConcurrentHashMap<Long, Publication> publicationsByKey = new ConcurrentHashMap<>();
    private volatile Publication[] publications = new Publication[0];
    /** Where the next publication's sequences start: past every released one's, see releasePublication. */
    private long nextPublicationSequence;
    private volatile Timer[] timers = new Timer[0];
    private volatile Int2ObjectHashMap<StreamHandler> streamHandlers = new Int2ObjectHashMap<>();
    private volatile RpcHandler rpcHandler;
    private volatile boolean closed;
    private volatile boolean callerRuns = true;
    /**
     * Callers running duty cycles while they wait for their own call ({@link CallSlot#await()}). While there are
     * any, the poller thread stays parked: on a small machine a third runnable thread (caller, poller, the peer's
     * poller) is what made a memif round trip 3.5 µs instead of 1 µs (docs/BENCHMARKS.md, "memif: where the time
     * went").
     */
    private final AtomicInteger drivers = new AtomicInteger();
    /** When a caller last ran a duty cycle (the transport's clock); written with release, no fence, every cycle. */
    private final AtomicLong lastCallerCycleNs = new AtomicLong();
    private final DutyCycleLock dutyCycle = new DutyCycleLock();
    private volatile Thread pollerThread;
    private volatile int pollerCpu = -1;
    /** The CPU the poller thread pinned itself to, and one it failed to; poller thread only. */
    private int pinnedCpu = -1;
    private int failedCpu = -1;
    private AgentRunner runner;
    private final AtomicLong errorsPrinted = new AtomicLong();
    // Guarded by the duty-cycle lock: see CLOCK_REUSES.
    private Thread lastCycleThread;
    private boolean lastCycleIdle;
    private int clockReuses;
    private boolean timersRan;
    // How long this cycle's poll may wait in the medium (MEDIUM_WAIT_NS or 0), set under the lock before it runs.
    private long cycleWaitNs;
    // MEDIUM_WAIT_NS if the medium waits at all, else 0: then no cycle counts as one that may have waited.
    private final long mediumWaitNs;
    // Callers about to send that found the cycle lock taken (see takeLockFromCycle): while there are any, the poller
    // skips its cycles and a spinning caller its idle ones, so the lock comes free for them.
    private final AtomicInteger lockWanted = new AtomicInteger();
    // The poller's own: whether its idle strategy only spun since its last cycle.
    private boolean pollerJustSpun;

    // Duty cycle only: one thread at a time (see ReliableTransport).
    private final Int2ObjectHashMap<ClientSession> clientsByNode = new Int2ObjectHashMap<>();
    private final ArrayList<ClientSession> clientList = new ArrayList<>();
    private final Int2ObjectHashMap<ServerSession> serverSessions = new Int2ObjectHashMap<>();
    private final Long2ObjectHashMap<SubscriberImage> images = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Publication> publicationsByPoller = new Long2ObjectHashMap<>();
    private Publication[] publicationsSeen = new Publication[0];
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final ConnectFlyweight connectFrame = new ConnectFlyweight();
    private final FragmentFlyweight fragmentFrame = new FragmentFlyweight();
    private final FragmentAckFlyweight ackFrame = new FragmentAckFlyweight();
    private final RejectFlyweight rejectFrame = new RejectFlyweight();
    private final StreamDataFlyweight streamDataFrame = new StreamDataFlyweight();
    private final StreamDataFlyweight scratchStreamData = new StreamDataFlyweight();
    private final StreamStatusFlyweight streamStatusFrame = new StreamStatusFlyweight();
    private final FrameHandler frameHandler = new FrameHandler()
    {
        @Override
        public void onFrame(final int peer, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            ReliableTransport.this.onFrame(peer, buffer, offset, length, false);
        }

        @Override
        public void onCheckedFrame(
            final int peer, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            ReliableTransport.this.onFrame(peer, buffer, offset, length, true);
        }
    };
    private final Consumer<CallSlot> submissionHandler = this::onSubmitted;
    /**
     * Submission on a caller's thread (sendOnCallerThread): as in tryDutyCycle, what it throws is the node's problem,
     * not this caller's, and one call's failure must not keep the next from being sent or stamped.
     */
    private final Consumer<CallSlot> guardedSubmission = slot ->
    {
        try
        {
            onSubmitted(slot);
        }
        catch (final Throwable ex)
        {
            onHandlerError(ex);
        }
    };
    private long nowNs;
    private long nextTimerNs;
    private long nextEvictionNs;
    private boolean timersStarted;

    /**
     * @param config settings, including this node's id.
     * @param medium the medium, owned (closed) by this transport from now on.
     * @param epoch  this incarnation's epoch: larger than any earlier incarnation's of the same node.
     * @param clock  time source for {@link #doWork()}; simulations call {@link #doWork(long)} instead.
     */
    public ReliableTransport(final TransportConfig config, final Medium medium, final long epoch, final NanoClock clock)
    {
        if (epoch <= 0)
        {
            throw new IllegalArgumentException("epoch must be positive");
        }
        this.config = config;
        this.medium = medium;
        this.mediumWaitNs = medium.waits() ? MEDIUM_WAIT_NS : 0;
        this.epoch = epoch;
        this.clock = clock;
        this.writer = new FrameWriter(medium, counters, config.nodeId(), epoch);
        this.validator = new FrameValidator(config.maxMessageLength(), medium.maxFrameLength());
        this.budget = new ReassemblyBudget(config.reassemblyBudgetBytes());
        lastCallerCycleNs.set(clock.nanoTime() - DRIVER_STALL_NS);
    }

    /**
     * A transport whose epoch is the wall clock in microseconds, so each restart of a node has a larger one.
     */
    public static ReliableTransport create(final TransportConfig config, final Medium medium)
    {
        return new ReliableTransport(config, medium, wallClockEpoch(), SystemNanoClock.INSTANCE);
    }

    public static long wallClockEpoch()
    {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    /**
     * Starts the poller on its own platform thread, named {@code rum-transport-<node>}, with the default idle
     * strategy, {@link #defaultIdleStrategy()}.
     */
    public ReliableTransport start()
    {
        return start(defaultIdleStrategy());
    }

    /**
     * Spin 10 times, yield for 500 µs, then park from 1 µs up to 100 µs: see {@link TimedBackoffIdleStrategy}
     * for why. On a machine with few cores several busy-spinning pollers starve each other, so an idle poller
     * must end up parked; the yield phase covers the gap between one request of a busy client and the next.
     * Measured on 2 cores (in-process, 64 B): 100 spins first gave p50 13.4 µs, none 8.0 µs, pure yield 5.5 µs.
     */
    public static IdleStrategy defaultIdleStrategy()
    {
        return new TimedBackoffIdleStrategy(10, 500_000, 1_000, 100_000);
    }

    /**
     * Pins the poller thread to one CPU, from its next own duty cycle on (before or after {@link #start}; while
     * callers drive the cycle, when they stop): for a node
     * given a core of its own, as DPDK deployments give their polling threads (see
     * {@link io.rum.net.os.CpuAffinity} for what was measured without). A busy-spinning idle strategy then costs
     * nobody else anything.
     *
     * @throws IllegalArgumentException if this process may not run on that CPU.
     */
    public synchronized ReliableTransport pinPoller(final int cpu)
    {
        if (!io.rum.net.os.CpuAffinity.allowed(cpu))
        {
            throw new IllegalArgumentException("cannot pin " + roleName() + " to CPU " + cpu +
                ": not a CPU this process may run on");
        }
        pollerCpu = cpu;
        return this;
    }

    /**
     * Poller only, in its own cycle: pins the poller thread if {@link #pinPoller} asked for a CPU since.
     */
    private void pinIfAsked()
    {
        final int cpu = pollerCpu;
        if (cpu != pinnedCpu && cpu != failedCpu)
        {
            try
            {
                io.rum.net.os.CpuAffinity.pinCurrentThread(cpu);
                pinnedCpu = cpu;
            }
            catch (final RuntimeException ex)
            {
                failedCpu = cpu; // said once, not on every cycle
                onHandlerError(ex);
            }
        }
    }

    public synchronized ReliableTransport start(final IdleStrategy idleStrategy)
    {
        if (null != runner)
        {
            throw new IllegalStateException("already started");
        }
        runner = new AgentRunner(new PollerIdleStrategy(idleStrategy), this::onHandlerError, null, this);
        AgentRunner.startOnThread(runner, r ->
        {
            final Thread thread = new Thread(r, roleName());
            thread.setDaemon(true);
            pollerThread = thread;
            return thread;
        });
        return this;
    }

    @Override
    public String roleName()
    {
        return "rum-transport-" + config.nodeId();
    }

    @Override
    public int nodeId()
    {
        return config.nodeId();
    }

    @Override
    public long epoch()
    {
        return epoch;
    }

    @Override
    public int maxMessageLength()
    {
        return config.maxMessageLength();
    }

    public TransportConfig config()
    {
        return config;
    }

    public Medium medium()
    {
        return medium;
    }

    @Override
    public TransportCounters counters()
    {
        return counters;
    }

    /**
     * @return frames dropped by the validator for one {@link FrameValidator} reason.
     */
    public long malformed(final int reason)
    {
        return malformedByReason[reason];
    }

    boolean isClosed()
    {
        return closed;
    }

    FrameWriter writer()
    {
        return writer;
    }

    ReassemblyBudget budget()
    {
        return budget;
    }

    /**
     * @return bytes partly received messages hold now (poller's view; for tests and stats).
     */
    public long reassemblyBytes()
    {
        return budget.usedBytes();
    }

    StreamDataFlyweight scratchStreamData()
    {
        return scratchStreamData;
    }

    @Override
    public RpcClient rpcClient(final int nodeId)
    {
        if (closed)
        {
            throw new IllegalStateException("transport closed");
        }
        return clientSessions.computeIfAbsent(nodeId, id -> new ClientSession(this, id));
    }

    @Override
    public void serve(final RpcHandler handler)
    {
        this.rpcHandler = handler;
    }

    @Override
    public synchronized StreamPublication publication(final int nodeId, final int streamId)
    {
        final long key = key(nodeId, streamId);
        final Publication existing = publicationsByKey.get(key);
        if (null != existing)
        {
            return existing;
        }
        if (publicationsByKey.size() >= config.maxStreams())
        {
            throw new IllegalStateException("too many publications: " + config.maxStreams());
        }
        final Publication publication = new Publication(this, nodeId, streamId, nextPublicationSequence);
        publicationsByKey.put(key, publication);
        final Publication[] old = publications;
        final Publication[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = publication;
        publications = grown;
        return publication;
    }

    /**
     * The medium's route to a node, or, for a node the medium was not configured with (a client that is not in
     * machines.csv), the address its session with this server last called from: so a server can publish to the
     * clients that call it. Duty cycle only.
     */
    int resolve(final int nodeId)
    {
        final int peer = medium.resolve(nodeId);
        if (peer != Medium.NO_ROUTE)
        {
            return peer;
        }
        final ServerSession session = serverSessions.get(nodeId);
        return null == session ? Medium.NO_ROUTE : session.peer;
    }

    @Override
    public synchronized void releasePublication(final int nodeId, final int streamId)
    {
        final Publication removed = publicationsByKey.remove(key(nodeId, streamId));
        if (null == removed)
        {
            return;
        }
        removed.released = true;
        nextPublicationSequence = Math.max(nextPublicationSequence, removed.publishedPosition() + 1);
        final Publication[] old = publications;
        final Publication[] shrunk = new Publication[old.length - 1];
        int n = 0;
        for (final Publication p : old)
        {
            if (p != removed)
            {
                shrunk[n++] = p;
            }
        }
        publications = shrunk;
    }

    @Override
    public synchronized void subscribe(final int streamId, final StreamHandler handler)
    {
        final Int2ObjectHashMap<StreamHandler> copy = new Int2ObjectHashMap<>(streamHandlers);
        copy.put(streamId, handler);
        streamHandlers = copy;
    }

    /**
     * Runs {@code task} inside the duty cycle about every {@code intervalNs} (at the granularity of the duty
     * cycle), with the time of the cycle: work that must be single-threaded with the request handlers (a
     * slave's lease expiry next to its state machine) needs no lock this way. Like handlers, it runs on whichever
     * thread runs the cycle: the poller, or a caller in {@code send} or waiting for its call. It must not block.
     */
    public synchronized void addTimer(final long intervalNs, final java.util.function.LongConsumer task)
    {
        if (intervalNs <= 0)
        {
            throw new IllegalArgumentException("intervalNs must be positive");
        }
        final Timer[] grown = java.util.Arrays.copyOf(timers, timers.length + 1);
        grown[timers.length] = new Timer(intervalNs, task);
        timers = grown;
    }

    private static final class Timer
    {
        final long intervalNs;
        final java.util.function.LongConsumer task;
        long nextNs;
        boolean started;

        Timer(final long intervalNs, final java.util.function.LongConsumer task)
        {
            this.intervalNs = intervalNs;
            this.task = task;
        }
    }

    /**
     * Sends a call from the calling thread when it may ({@link #sendOnCallerThread}), so the request leaves with no
     * hand-over (eRPC's model); otherwise queues it for the duty cycle, runs one if it can, and wakes the poller
     * unless a caller is driving the cycles (it drains the queue in its next one).
     */
    void submit(final CallSlot slot)
    {
        if (sendOnCallerThread(slot))
        {
            return;
        }
        while (!submissions.offer(slot))
        {
            // Bounded by the number of slots in existence; the poller drains it every duty cycle.
            Thread.onSpinWait();
        }
        if (closed)
        {
            // close() may have drained the queue before this offer landed: nobody else will see it now. A handler or
            // timer task sending during close already holds the lock (it is not reentrant; found by review).
            final boolean held = dutyCycle.isHeldByCurrentThread();
            if (!held)
            {
                dutyCycle.lock();
            }
            try
            {
                submissions.drain(s -> s.complete(io.rum.net.transport.RpcStatus.CLOSED));
            }
            finally
            {
                if (!held)
                {
                    dutyCycle.unlock();
                }
            }
            return;
        }
        if (tryDutyCycle(false) < 0)
        {
            if (drivers.get() == 0)
            {
                wakePoller();
            }
            else if (!dutyCycle.isHeldByCurrentThread())
            {
                // A caller runs the cycle, maybe waiting in the medium: end that wait so the queue is drained now.
                medium.wake();
            }
        }
    }

    /**
     * The usual case of {@link #submit}: the calling thread takes the cycle lock and sends the call at once (after any
     * calls queued before it), and does nothing else a cycle does: no poll of the medium, no timers. A reply cannot
     * be there yet, and the caller's wait runs full cycles next. This skips the queue's hand-over and an empty poll
     * (an FFM downcall over DPDK) on the critical path of every call. When nothing else is queued and the session is
     * connected, the call is even sent with the previous cycle's time and the clock read after the frame left, its
     * times then moved by the difference: the read (21 ns here) overlaps the frame's flight instead of delaying it.
     *
     * @return false if the call must go through the queue (the lock is busy or held by this thread, callers may not
     *     run cycles, or the transport is closed).
     */
    private boolean sendOnCallerThread(final CallSlot slot)
    {
        if (!callerRuns || closed || dutyCycle.isHeldByCurrentThread() ||
            (!dutyCycle.tryLock() && !takeLockFromCycle()))
        {
            return false;
        }
        try
        {
            if (closed)
            {
                return false;
            }
            final Thread caller = Thread.currentThread();
            lastCycleThread = caller;
            lastCycleIdle = false;
            clockReuses = 0;
            if (timersStarted && slot.session.registered && slot.session.sendsWithSlotTimesOnly() &&
                submissions.isEmpty())
            {
                final long stampedNs = nowNs;
                guardedSubmission.accept(slot);
                final long now = clock.nanoTime();
                slot.shiftSubmissionTimes(now - stampedNs);
                nowNs = now;
                lastCallerCycleNs.lazySet(now);
                return true;
            }
            final long now = clock.nanoTime();
            lastCallerCycleNs.lazySet(now);
            nowNs = now;
            submissions.drain(guardedSubmission, SUBMISSION_QUEUE_CAPACITY);
            guardedSubmission.accept(slot);
            return true;
        }
        finally
        {
            dutyCycle.unlock();
        }
    }

    /**
     * The cycle lock is taken by another thread, which over a medium that waits is most likely waiting in it for up
     * to {@link #MEDIUM_WAIT_NS} (a spinning poller is there most of the time). Ends that wait, keeps the next
     * cycles of the poller and of spinning callers out of the way, and tries the lock again a few times, so the call
     * still leaves from this thread instead of being handed to another through the queue (found by review: a node
     * whose poller spins would otherwise send almost every call that way). Bounded by {@link #LOCK_RETRIES} spins.
     *
     * @return whether this thread now holds the lock.
     */
    private boolean takeLockFromCycle()
    {
        if (mediumWaitNs == 0)
        {
            return false; // cycles are short here: the queue's hand-over costs no more than waiting for the lock
        }
        lockWanted.getAndIncrement();
        try
        {
            medium.wake();
            for (int i = 0; i < LOCK_RETRIES; i++)
            {
                Thread.onSpinWait();
                if (dutyCycle.tryLock())
                {
                    return true;
                }
            }
            return false;
        }
        finally
        {
            lockWanted.getAndDecrement();
        }
    }

    /**
     * Whether callers are driving the duty cycle, so the poller keeps out of their way: some are registered and one
     * ran a cycle within {@link #DRIVER_STALL_NS}. A driver the scheduler took off its CPU mid-wait (or one stopped
     * in a debugger) must not leave the node deaf: the poller takes over once the cycles stop.
     */
    private boolean callersDrive()
    {
        // The clock only when there are drivers: a server's poller, which has none, turns without reading it.
        return drivers.get() > 0 && clock.nanoTime() - lastCallerCycleNs.get() < DRIVER_STALL_NS;
    }

    /**
     * A caller starts running duty cycles while it waits (see {@link CallSlot#await()}).
     *
     * @return false if callers may not run cycles here: the caller must leave the work to the poller.
     */
    boolean startDriving()
    {
        if (!callerRuns)
        {
            return false;
        }
        drivers.getAndIncrement();
        return true;
    }

    /**
     * A caller stops driving. The poller is woken if the caller is about to park for its call, or if it was the
     * last driver and calls are queued (a submitter that saw it driving did not wake the poller) or this node
     * serves requests: a slave whose heartbeat call just ended must not leave the next client's request waiting
     * for the poller's park to end (up to 1 ms; a review measured 0.8 ms at the median). A node that only calls
     * is not woken: its poller takes over by itself within {@link #HANDOVER_LONGEST_PARK_NS} and a park's timer
     * slack, which delays only unsolicited frames (stream data) after its last call, and saves a system call per
     * call.
     *
     * @param needPoller whether the caller's call is still in flight.
     */
    void stopDriving(final boolean needPoller)
    {
        if ((drivers.decrementAndGet() == 0 && (null != rpcHandler || !submissions.isEmpty())) || needPoller)
        {
            wakePoller();
        }
    }

    /**
     * The poller's idle strategy: the configured one, except that while callers drive the duty cycle the poller
     * parks instead of spinning or yielding, and starts the configured backoff afresh once they are gone.
     */
    private final class PollerIdleStrategy implements IdleStrategy
    {
        private final IdleStrategy delegate;
        private long handoverParkNs = HANDOVER_FIRST_PARK_NS;

        PollerIdleStrategy(final IdleStrategy delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public void idle(final int workCount)
        {
            if (workCount > 0)
            {
                delegate.reset();
                handoverParkNs = HANDOVER_FIRST_PARK_NS;
                pollerJustSpun = true;
            }
            else
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            if (callersDrive())
            {
                delegate.reset();
                LockSupport.parkNanos(this, handoverParkNs);
                handoverParkNs = Math.min(handoverParkNs << 1, HANDOVER_LONGEST_PARK_NS);
                pollerJustSpun = false;
            }
            else
            {
                delegate.idle();
                pollerJustSpun = onlySpins(delegate);
            }
        }

        @Override
        public void reset()
        {
            delegate.reset();
            handoverParkNs = HANDOVER_FIRST_PARK_NS;
        }

        @Override
        public String alias()
        {
            return "caller-aware-" + delegate.alias();
        }
    }

    /**
     * Whether the idle strategy's last idle() was a spin and nothing slower (no yield, no park): then the poller's
     * next cycle may reuse the last cycle's time (see {@link #CLOCK_REUSES}). Unknown strategies count as slower.
     */
    private static boolean onlySpins(final IdleStrategy strategy)
    {
        return strategy instanceof TimedBackoffIdleStrategy timed ? timed.lastIdleSpun() :
            strategy instanceof org.agrona.concurrent.BusySpinIdleStrategy ||
            strategy instanceof org.agrona.concurrent.NoOpIdleStrategy;
    }

    /**
     * The time for a cycle about to run on {@code thread}: the last cycle's, if {@link #CLOCK_REUSES} allows, or
     * the clock's. Under the duty-cycle lock.
     *
     * @param justSpun whether the thread did nothing but spin since its previous cycle.
     */
    private long cycleTime(final Thread thread, final boolean justSpun)
    {
        if (justSpun && lastCycleIdle && thread == lastCycleThread && clockReuses < CLOCK_REUSES &&
            submissions.isEmpty())
        {
            clockReuses++;
            return nowNs;
        }
        clockReuses = 0;
        return clock.nanoTime();
    }

    /**
     * One cycle on {@code thread}, remembered for {@link #cycleTime}. Under the duty-cycle lock.
     *
     * @param waitNs how long its poll may wait in the medium for a frame: {@link #MEDIUM_WAIT_NS} for a thread that
     *               did nothing but spin since its last cycle, if the medium {@link Medium#waits()}; else 0.
     */
    private int runCycle(final Thread thread, final long nowNs, final long waitNs)
    {
        lastCycleThread = thread;
        lastCycleIdle = false; // until the cycle ends normally with nothing done
        timersRan = false;
        cycleWaitNs = waitNs;
        try
        {
            final int work = doWork(nowNs);
            // A cycle that may have waited in the medium leaves the next a fresh clock read: its time is that much old.
            lastCycleIdle = work == 0 && !timersRan && waitNs == 0;
            return work;
        }
        finally
        {
            cycleWaitNs = 0;
        }
    }

    /** Whether a spinning thread's cycles wait in the medium (see {@link #MEDIUM_WAIT_NS}). */
    boolean mediumWaits()
    {
        return mediumWaitNs > 0;
    }

    /**
     * @return whether the calling thread is inside a duty cycle (running a handler or a timer task).
     */
    boolean inDutyCycle()
    {
        return dutyCycle.isHeldByCurrentThread();
    }

    /** Wakes the poller from a park, and whichever thread waits in the medium (see {@link #MEDIUM_WAIT_NS}). */
    void wakePoller()
    {
        medium.wake();
        final Thread poller = pollerThread;
        if (null != poller)
        {
            LockSupport.unpark(poller);
        }
    }

    void onHandlerError(final Throwable ex)
    {
        counters.increment(Counter.HANDLER_ERRORS);
        if (errorsPrinted.incrementAndGet() <= MAX_ERRORS_PRINTED)
        {
            System.err.println(roleName() + ": handler error: " + ex);
            ex.printStackTrace(System.err);
        }
    }

    /**
     * The agent's duty cycle, skipped while a caller runs one or callers are driving (see
     * {@link #tryDutyCycle(boolean)}).
     */
    @Override
    public int doWork()
    {
        if (callersDrive() || lockWanted.get() > 0 || !dutyCycle.tryLock())
        {
            pollerJustSpun = false;
            return 0;
        }
        try
        {
            pinIfAsked();
            // The time is taken under the lock: a caller's cycle may have run since, and cycles must see time in the
            // order they run (an earlier time here made a round-trip sample negative; found by review).
            final Thread poller = Thread.currentThread();
            return runCycle(poller, cycleTime(poller, pollerJustSpun), pollerJustSpun ? mediumWaitNs : 0);
        }
        finally
        {
            dutyCycle.unlock();
        }
    }

    /**
     * Runs one duty cycle on the calling thread if no other thread is running one and callers may: a thread
     * waiting for its call does the transport's work instead of handing it to the poller thread and back. The
     * lock orders every cycle after the previous one, whichever thread ran it, so protocol state stays as if one
     * thread owned it. Handlers may therefore run on a caller's thread.
     *
     * @param justSpun whether the calling thread did nothing but spin since its previous cycle (see
     *                 {@link #CLOCK_REUSES}); false when unsure.
     * @return work done, 0 if there was none, or -1 if the cycle could not run here.
     */
    int tryDutyCycle(final boolean justSpun)
    {
        if (justSpun && lockWanted.get() > 0)
        {
            return 0; // idle anyway: a caller about to send gets the lock first (see takeLockFromCycle)
        }
        if (!callerRuns || closed || dutyCycle.isHeldByCurrentThread() || !dutyCycle.tryLock())
        {
            return -1;
        }
        try
        {
            if (closed)
            {
                // close() ran between the check above and the lock: the medium may be gone.
                return -1;
            }
            // The time is taken under the lock, so cycles see time in the order they run.
            final Thread caller = Thread.currentThread();
            final long nowNs = cycleTime(caller, justSpun);
            lastCallerCycleNs.lazySet(nowNs);
            try
            {
                return runCycle(caller, nowNs, justSpun ? mediumWaitNs : 0);
            }
            catch (final Throwable ex)
            {
                // As the poller's runner does: what a handler, a timer task or the medium throws is the node's
                // problem, not this caller's, whose call is queued and must still end normally.
                onHandlerError(ex);
                return 1;
            }
        }
        finally
        {
            dutyCycle.unlock();
        }
    }

    /**
     * Whether waiting callers run duty cycles themselves (the default). Off, every cycle runs on the poller
     * thread: for comparison, and for handlers that must run on one known thread.
     */
    public ReliableTransport callerRuns(final boolean enabled)
    {
        this.callerRuns = enabled;
        return this;
    }

    /**
     * One duty cycle at the given time.
     *
     * @return work done; 0 lets the idle strategy back off.
     */
    public int doWork(final long nowNs)
    {
        this.nowNs = nowNs;
        if (!timersStarted)
        {
            // nanoTime() may be negative: deadlines start from the first time we are given, never from zero.
            timersStarted = true;
            nextTimerNs = nowNs;
            nextEvictionNs = nowNs + EVICTION_INTERVAL_NS;
        }
        int work = submissions.drain(submissionHandler, SUBMISSION_QUEUE_CAPACITY);
        // Wait in the medium only with nothing else done: a call queued from now on rings the medium (see submit).
        work += medium.poll(frameHandler, config.pollLimit(), work == 0 ? cycleWaitNs : 0);
        final Publication[] pubs = publications;
        if (pubs != publicationsSeen)
        {
            // The array is replaced on every change (copy on write), so a new array means: rebuild the poller's
            // index. Comparing lengths was not enough: a release followed by a new publication of the same pair
            // leaves the length as it was, and status frames went on to the released publication.
            publicationsByPoller.clear();
            for (final Publication p : pubs)
            {
                publicationsByPoller.put(key(p.nodeId(), p.streamId()), p);
            }
            publicationsSeen = pubs;
        }
        for (final Publication publication : pubs)
        {
            work += publication.doWork(nowNs);
        }
        if (nowNs - nextTimerNs >= 0)
        {
            timersRan = true;
            nextTimerNs = nowNs + TIMER_INTERVAL_NS;
            for (int i = 0, n = clientList.size(); i < n; i++)
            {
                clientList.get(i).onTimer(nowNs);
            }
            if (!images.isEmpty())
            {
                for (final SubscriberImage image : images.values())
                {
                    image.onTimer(nowNs);
                }
            }
            for (final Timer timer : timers)
            {
                if (!timer.started || nowNs - timer.nextNs >= 0)
                {
                    timer.started = true;
                    timer.nextNs = nowNs + timer.intervalNs;
                    try
                    {
                        timer.task.accept(nowNs);
                    }
                    catch (final RuntimeException ex)
                    {
                        onHandlerError(ex);
                    }
                }
            }
            if (nowNs - nextEvictionNs >= 0)
            {
                nextEvictionNs = nowNs + Math.min(EVICTION_INTERVAL_NS, STALLED_RTOS * config.maxRtoNs());
                evictIdleSessions(nowNs);
            }
        }
        return work;
    }

    private void onSubmitted(final CallSlot slot)
    {
        final ClientSession session = slot.session;
        if (!session.registered)
        {
            session.registered = true;
            clientsByNode.put(session.nodeId(), session);
            clientList.add(session);
        }
        session.onSubmitted(slot, nowNs);
    }

    private void onFrame(
        final int peer, final MutableDirectBuffer buffer, final int offset, final int length,
        final boolean checksumChecked)
    {
        counters.increment(Counter.FRAMES_RECEIVED);
        final int reason = validator.validate(buffer, offset, length, checksumChecked);
        if (reason != FrameValidator.VALID)
        {
            malformedByReason[reason]++;
            counters.increment(Counter.FRAMES_MALFORMED);
            return;
        }
        header.wrap(buffer, offset);
        if (header.dstNode() != config.nodeId())
        {
            counters.increment(Counter.FRAMES_MISADDRESSED);
            return;
        }
        try
        {
            dispatch(header.type(), peer, buffer, offset);
        }
        catch (final RuntimeException ex)
        {
            // A protocol bug must not kill the poller: count it, say it once, drop the frame.
            counters.increment(Counter.FRAMES_MALFORMED);
            onHandlerError(ex);
        }
    }

    private void dispatch(final int type, final int peer, final MutableDirectBuffer buffer, final int offset)
    {
        switch (type)
        {
            case FrameType.CONNECT ->
            {
                connectFrame.wrap(buffer, offset);
                onConnect(peer, connectFrame);
            }
            case FrameType.CONNECT_ACK ->
            {
                connectFrame.wrap(buffer, offset);
                final ClientSession session = clientFor(connectFrame);
                if (null != session)
                {
                    session.onConnectAck(peer, connectFrame.srcEpoch(), connectFrame.slots(), nowNs);
                }
            }
            case FrameType.REQUEST ->
            {
                fragmentFrame.wrap(buffer, offset);
                onRequest(peer, fragmentFrame);
            }
            case FrameType.RESPONSE ->
            {
                fragmentFrame.wrap(buffer, offset);
                final ClientSession session = clientFor(fragmentFrame);
                if (null != session)
                {
                    session.onResponse(fragmentFrame, peer, nowNs);
                }
            }
            case FrameType.FRAGMENT_ACK ->
            {
                ackFrame.wrap(buffer, offset);
                if (ackFrame.direction() == FragmentAckFlyweight.DIRECTION_REQUEST)
                {
                    final ClientSession session = clientFor(ackFrame);
                    if (null != session)
                    {
                        session.onRequestAck(ackFrame, nowNs);
                    }
                }
                else
                {
                    final ServerSession session = serverFor(ackFrame, peer);
                    if (null != session && ackFrame.slot() < session.slotCount())
                    {
                        session.onResponseAck(ackFrame);
                    }
                }
            }
            case FrameType.REJECT ->
            {
                rejectFrame.wrap(buffer, offset);
                final ClientSession session = clientFor(rejectFrame);
                if (null != session)
                {
                    session.onReject(rejectFrame, nowNs);
                }
            }
            case FrameType.STREAM_DATA ->
            {
                streamDataFrame.wrap(buffer, offset);
                onStreamData(peer, streamDataFrame);
            }
            case FrameType.STREAM_STATUS ->
            {
                streamStatusFrame.wrap(buffer, offset);
                final Publication publication = publicationsByPoller.get(
                    key(streamStatusFrame.srcNode(), streamStatusFrame.streamId()));
                if (null == publication || streamStatusFrame.dstEpoch() != epoch)
                {
                    counters.increment(Counter.FRAMES_STALE);
                    return;
                }
                publication.onStatus(streamStatusFrame, peer, nowNs);
            }
            default -> counters.increment(Counter.FRAMES_MALFORMED);
        }
    }

    /**
     * The client session a frame from a server is for, if it is addressed to this incarnation.
     */
    private ClientSession clientFor(final FrameHeaderFlyweight frame)
    {
        final ClientSession session = clientsByNode.get(frame.srcNode());
        if (null == session || frame.dstEpoch() != epoch)
        {
            counters.increment(Counter.FRAMES_STALE);
            return null;
        }
        return session;
    }

    private ServerSession serverFor(final FrameHeaderFlyweight frame, final int peer)
    {
        final ServerSession session = serverSessions.get(frame.srcNode());
        if (null == session || frame.srcEpoch() != session.clientEpoch || frame.dstEpoch() != epoch)
        {
            if (null != session && frame.srcEpoch() < session.clientEpoch)
            {
                counters.increment(Counter.FRAMES_STALE);
            }
            else
            {
                // Name the slot and request the frame was about, so the client believes the rejection.
                final int slot;
                final long requestNumber;
                if (frame instanceof FragmentFlyweight f)
                {
                    slot = f.slot();
                    requestNumber = f.requestNumber();
                }
                else if (frame instanceof FragmentAckFlyweight a)
                {
                    slot = a.slot();
                    requestNumber = a.requestNumber();
                }
                else
                {
                    slot = 0;
                    requestNumber = 0;
                }
                writer.reject(peer, frame.srcNode(), frame.srcEpoch(), RejectFlyweight.REASON_UNKNOWN_SESSION, slot,
                    requestNumber);
            }
            return null;
        }
        session.peer = peer;
        session.lastActiveNs = nowNs;
        return session;
    }

    private void onConnect(final int peer, final ConnectFlyweight frame)
    {
        final int client = frame.srcNode();
        final long clientEpoch = frame.srcEpoch();
        ServerSession session = serverSessions.get(client);
        if (null != session)
        {
            if (clientEpoch < session.clientEpoch)
            {
                counters.increment(Counter.FRAMES_STALE);
                return;
            }
            if (clientEpoch > session.clientEpoch)
            {
                counters.increment(Counter.PEER_RESTARTS_DETECTED);
                session.release();
                serverSessions.remove(client);
                session = null;
            }
        }
        if (null == session)
        {
            if (serverSessions.size() >= config.maxServerSessions())
            {
                evictIdleSessions(nowNs);
            }
            if (serverSessions.size() >= config.maxServerSessions())
            {
                writer.reject(peer, client, clientEpoch, RejectFlyweight.REASON_NO_SESSION_CAPACITY, 0, 0);
                return;
            }
            final int slots = Math.max(1, Math.min(frame.slots(), config.slotsPerSession()));
            session = new ServerSession(this, client, clientEpoch, peer, slots, nowNs);
            serverSessions.put(client, session);
        }
        session.peer = peer;
        session.lastActiveNs = nowNs;
        writer.connect(FrameType.CONNECT_ACK, peer, client, clientEpoch, session.slotCount(), config.maxMessageLength());
    }

    private void onRequest(final int peer, final FragmentFlyweight frame)
    {
        final ServerSession session = serverFor(frame, peer);
        if (null == session)
        {
            return;
        }
        if (frame.slot() >= session.slotCount())
        {
            counters.increment(Counter.FRAMES_MALFORMED);
            return;
        }
        final RpcHandler handler = rpcHandler;
        if (null == handler)
        {
            writer.reject(peer, frame.srcNode(), frame.srcEpoch(), RejectFlyweight.REASON_NO_HANDLER, frame.slot(),
                frame.requestNumber());
            return;
        }
        session.onRequest(frame, handler, nowNs);
    }

    private void onStreamData(final int peer, final StreamDataFlyweight frame)
    {
        final StreamHandler handler = streamHandlers.get(frame.streamId());
        if (null == handler)
        {
            counters.increment(Counter.FRAMES_MISADDRESSED);
            return;
        }
        if (frame.dstEpoch() != epoch)
        {
            // The publisher does not know this incarnation yet: tell it, and drop the frame.
            writer.streamStatus(peer, frame.srcNode(), frame.srcEpoch(), StreamStatusFlyweight.RESET, frame.streamId(),
                config.streamWindowFrames(), 0, 0);
            return;
        }
        final long key = key(frame.srcNode(), frame.streamId());
        SubscriberImage image = images.get(key);
        if (null == image)
        {
            if (images.size() >= config.maxStreams())
            {
                counters.increment(Counter.FRAMES_MISADDRESSED);
                return;
            }
            image = new SubscriberImage(this, frame.srcNode(), frame.streamId(), peer, nowNs);
            image.reset(frame.srcEpoch(), frame.initialSequence());
            images.put(key, image);
        }
        else if (frame.srcEpoch() < image.publisherEpoch)
        {
            counters.increment(Counter.FRAMES_STALE);
            return;
        }
        else if (frame.srcEpoch() > image.publisherEpoch || frame.initialSequence() != image.initialSequence)
        {
            if (frame.initialSequence() < image.initialSequence && frame.srcEpoch() == image.publisherEpoch)
            {
                counters.increment(Counter.FRAMES_STALE);
                return;
            }
            counters.increment(Counter.PEER_RESTARTS_DETECTED);
            image.reset(frame.srcEpoch(), frame.initialSequence());
            try
            {
                handler.onPublisherRestart(frame.srcNode(), frame.streamId());
            }
            catch (final Throwable ex)
            {
                onHandlerError(ex);
            }
        }
        image.peer = peer;
        image.onData(frame, handler, nowNs);
    }

    /**
     * Forgets sessions idle for the idle timeout, and gives up stalled partial requests (see
     * {@link #reclaimStalledRequests}).
     */
    private void evictIdleSessions(final long nowNs)
    {
        final Iterator<ServerSession> it = serverSessions.values().iterator();
        while (it.hasNext())
        {
            final ServerSession session = it.next();
            if (nowNs - session.lastActiveNs > config.sessionIdleTimeoutNs())
            {
                session.release();
                it.remove();
            }
        }
        reclaimStalledRequests(nowNs);
    }

    /**
     * Gives back the reassembly memory of partly received requests that got no new fragment for
     * {@link #STALLED_RTOS} maximal retransmission timeouts. A live client resends at least once per maximal RTO,
     * so such a request belongs to a call its client gave up or a client cut off; held, it would keep its memory
     * until that slot is used again, and enough of them starve every other request (found by the simulation).
     * Runs periodically and whenever a new request finds the budget full.
     *
     * @return whether any memory was given back.
     */
    boolean reclaimStalledRequests(final long nowNs)
    {
        final long stalledNs = STALLED_RTOS * config.maxRtoNs();
        boolean reclaimed = false;
        for (final ServerSession session : serverSessions.values())
        {
            reclaimed |= session.dropStalledRequests(nowNs, stalledNs);
        }
        return reclaimed;
    }

    private static long key(final int nodeId, final int streamId)
    {
        return ((long)nodeId << 32) | (streamId & 0xFFFF_FFFFL);
    }

    @Override
    public void onClose()
    {
        pollerThread = null;
    }

    @Override
    public void close()
    {
        if (inDutyCycle())
        {
            // Closing here would free the medium under the poll that called this handler.
            throw new IllegalStateException("close() inside the transport's duty cycle (a handler or timer task): " +
                "close it from another thread");
        }
        final AgentRunner r;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            r = runner;
        }
        // A cycle waiting in the medium ends now rather than after its wait.
        medium.wake();
        if (null != r)
        {
            r.close();
        }
        // The poller has stopped, and no caller starts a cycle once closed; wait out one that is running, then
        // fail what is left from this thread.
        dutyCycle.lock();
        try
        {
            submissions.drain(slot -> slot.complete(io.rum.net.transport.RpcStatus.CLOSED));
            for (final ClientSession session : clientSessions.values())
            {
                session.closeAll();
            }
            for (final ServerSession session : serverSessions.values())
            {
                session.release();
            }
            medium.close();
        }
        finally
        {
            dutyCycle.unlock();
        }
    }

    @Override
    public String toString()
    {
        return roleName() + " on " + medium.name() + " " + counters;
    }
}
