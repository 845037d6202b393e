package io.rum.net.reliability;

import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcStatus;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.locks.LockSupport;

/**
 * One slot of a client session: the request being sent, the response being reassembled, and the timers.
 *
 * <p>Hand-over between the calling thread and the poller: the caller owns the slot from
 * {@link ClientSession#begin} to {@link #send}; {@code send} publishes it through the transport's submission
 * queue (a release); from then on only the poller touches the transfer state, until it stores
 * {@link #state} = DONE with release semantics. The caller reads the response after seeing DONE (acquire) and
 * until {@link #release()}, during which the poller leaves the slot alone because it is no longer active.
 */
final class CallSlot implements PendingCall
{
    static final int FREE = 0;
    static final int OWNED = 1;
    static final int SUBMITTED = 2;
    static final int DONE = 3;
    private static final long YIELD_PHASE_NS = 200_000;
    /** A memif round trip takes about 1 µs: spinning that long is cheaper than a yield's system call. */
    private static final long SPIN_BETWEEN_YIELDS_NS = 2_000;
    /** Idle turns of a waiting caller between two reads of the clock for its own bounds (a power of two). */
    private static final int CLOCK_EVERY_TURNS = 8;

    final ClientSession session;
    final int index;

    // Shared with the caller; ordering through 'state' and the submission queue.
    private volatile int state = FREE;
    private volatile Thread waiter;
    private int status;
    private UnsafeBuffer request = new UnsafeBuffer(new byte[256]);
    int requestLength;
    long timeoutNs;

    // Duty cycle only: one thread at a time (see ReliableTransport).
    final OutboundTransfer out = new OutboundTransfer();
    final InboundTransfer in;
    long requestNumber;
    boolean active;
    long deadlineNs;
    long retransmitAtNs;
    long rtoNs;
    long firstSendNs;
    boolean retransmitted;
    int inFlightFragments;
    long sentToEpoch;

    CallSlot(final ClientSession session, final int index, final int retainBytes)
    {
        this.session = session;
        this.index = index;
        this.in = new InboundTransfer(retainBytes);
    }

    void acquire()
    {
        state = OWNED;
        status = RpcStatus.OK;
    }

    /**
     * Moves the times a submission stamped on this slot by {@code deltaNs}: the call was sent with the previous
     * cycle's time and the clock read after the frame had left (see ReliableTransport#sendOnCallerThread).
     */
    void shiftSubmissionTimes(final long deltaNs)
    {
        deadlineNs += deltaNs;
        retransmitAtNs += deltaNs;
        firstSendNs += deltaNs;
    }

    @Override
    public MutableDirectBuffer request(final int capacity)
    {
        if (capacity > request.capacity())
        {
            if (capacity > session.maxMessageLength())
            {
                throw new IllegalArgumentException(
                    "request of " + capacity + " bytes exceeds the maximum message length " + session.maxMessageLength());
            }
            request = new UnsafeBuffer(new byte[Math.max(capacity, Math.min(2 * request.capacity(),
                session.maxMessageLength()))]);
        }
        return request;
    }

    DirectBuffer requestBuffer()
    {
        return request;
    }

    @Override
    public void send(final int length, final long timeoutNs)
    {
        if (state != OWNED)
        {
            throw new IllegalStateException("call already sent or released");
        }
        if (length < 0 || length > request.capacity())
        {
            throw new IllegalArgumentException("length " + length + " outside the request buffer");
        }
        this.requestLength = length;
        this.timeoutNs = timeoutNs;
        state = SUBMITTED;
        session.submit(this);
    }

    /**
     * Poller: finishes the call and wakes the caller.
     */
    void complete(final int status)
    {
        this.status = status;
        active = false;
        state = DONE;
        final Thread w = waiter;
        if (null != w)
        {
            LockSupport.unpark(w);
        }
    }

    @Override
    public boolean isDone()
    {
        return state == DONE;
    }

    @Override
    public int await()
    {
        // One read: the poller may complete the call between two reads, and a second read would then see DONE
        // where the first saw SUBMITTED (found by the throughput benchmark).
        final int current = state;
        if (current == DONE)
        {
            return status;
        }
        if (current != SUBMITTED)
        {
            throw new IllegalStateException("call was not sent");
        }
        final ReliableTransport transport = session.transport();
        if (transport.inDutyCycle())
        {
            // A handler or timer task waiting for a call would wait for the very cycle it runs in.
            throw new IllegalStateException("a blocking call inside the transport's duty cycle: handlers, stream " +
                "handlers and timer tasks must not wait for calls (use PendingCall.isDone instead)");
        }
        // For up to 200 µs (a typical round trip ends in that time) the caller runs the transport's duty cycle
        // itself (eRPC's model: the thread that waits does the work), so a call costs no hand-over to the poller
        // thread and back, and the poller parks meanwhile (a third hot thread on a small machine is what costs).
        // Between cycles that found nothing to do it spins, yielding once per SPIN_BETWEEN_YIELDS_NS: a memif
        // round trip ends within the first spin, and when the peer's poller shares this CPU the yield lets it run
        // (spinning 20 µs before the first yield showed as a p99 of 25 µs on 2 cores). A caller that finds another
        // thread in the cycle yields at once, so many waiting callers do not starve the one working. Only after
        // that does it park, leaving the work to the poller: being woken from a park costs tens of microseconds.
        if (transport.startDriving())
        {
            // Wall time, not the transport's clock: these bounds are about this thread's use of the CPU, and a
            // transport driven by a simulated clock must not keep a caller spinning forever.
            long startNs = 0;
            long nowNs = 0;
            long spinStartNs = 0;
            int idleTurns = 0;
            // Whether this thread only spun since its last cycle, so the next may reuse that cycle's time.
            boolean justSpun = false;
            try
            {
                startNs = System.nanoTime();
                nowNs = startNs;
                spinStartNs = startNs;
                while (state != DONE)
                {
                    final int work = transport.tryDutyCycle(justSpun);
                    // A cycle run after a spin may have waited in the medium (ReliableTransport.MEDIUM_WAIT_NS).
                    final boolean mayHaveWaited = justSpun && work == 0 && transport.mediumWaits();
                    justSpun = true;
                    if (work > 0 || state == DONE)
                    {
                        continue;
                    }
                    if (mayHaveWaited || (++idleTurns & (CLOCK_EVERY_TURNS - 1)) == 0 || work < 0)
                    {
                        // Short cycles read the clock already, so these bounds need it only now and then; after one
                        // that may have waited a microsecond, every time (the next yield is due every 2 µs).
                        nowNs = System.nanoTime();
                        if (nowNs - startNs >= YIELD_PHASE_NS)
                        {
                            break;
                        }
                    }
                    if (work == 0 && nowNs - spinStartNs < SPIN_BETWEEN_YIELDS_NS)
                    {
                        Thread.onSpinWait();
                    }
                    else
                    {
                        Thread.yield();
                        spinStartNs = nowNs;
                        justSpun = false;
                    }
                }
            }
            finally
            {
                transport.stopDriving(state != DONE);
            }
        }
        else
        {
            final long yieldUntilNs = System.nanoTime() + YIELD_PHASE_NS;
            while (state != DONE && System.nanoTime() - yieldUntilNs < 0)
            {
                Thread.yield();
            }
        }
        if (state != DONE)
        {
            waiter = Thread.currentThread();
            // The poller enforces the deadline; the extra second only guards against a poller that died.
            final long giveUpNs = System.nanoTime() + timeoutNs + 1_000_000_000L;
            while (state != DONE)
            {
                final long leftNs = giveUpNs - System.nanoTime();
                if (leftNs <= 0)
                {
                    waiter = null;
                    return RpcStatus.CLOSED;
                }
                LockSupport.parkNanos(this, leftNs);
            }
            waiter = null;
        }
        return status;
    }

    @Override
    public int status()
    {
        return status;
    }

    @Override
    public DirectBuffer response()
    {
        return in.buffer();
    }

    @Override
    public int responseLength()
    {
        return status == RpcStatus.OK ? in.messageLength() : 0;
    }

    @Override
    public void release()
    {
        final int s = state;
        if (s == SUBMITTED)
        {
            throw new IllegalStateException("call still in flight: await it before release");
        }
        if (s == FREE)
        {
            return;
        }
        state = FREE;
        session.free(this);
    }
}
