package io.rum.net.reliability;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The lock that orders duty cycles (see {@link ReliableTransport#tryDutyCycle(boolean)}): taken and released on
 * every cycle, by the poller and by waiting callers, almost always uncontended.
 *
 * <p>Why not {@code ReentrantLock}: its release is a volatile write (a full fence on x86) plus a look at the wait
 * queue, and its acquire records the owner besides the CAS; a memif round trip takes this lock three times on its
 * critical path. Here acquire is one CAS of the owner field and release one ordered store, which is all the
 * ordering the cycles need: whatever one cycle wrote happens-before the next cycle that acquires the lock.
 * Not reentrant (a cycle never starts inside a cycle: callers check {@link #isHeldByCurrentThread()} first) and
 * with no queue: {@link #lock()} is for closing, where waiting out one cycle by yielding is fine.
 */
final class DutyCycleLock
{
    private static final VarHandle OWNER;
    /** Yields before {@link #lock()} starts parking between attempts (a cycle is microseconds long). */
    private static final int YIELDS_BEFORE_PARKING = 1_000;
    private static final long PARK_NS = 50_000;

    static
    {
        try
        {
            OWNER = MethodHandles.lookup().findVarHandle(DutyCycleLock.class, "owner", Thread.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // through OWNER
    private volatile Thread owner;

    /**
     * @return whether the calling thread now holds the lock; false at once if any thread holds it (this one too).
     */
    boolean tryLock()
    {
        return null == owner && OWNER.compareAndSet(this, null, Thread.currentThread());
    }

    /**
     * Takes the lock, waiting out the cycle that holds it: yielding, then parking between attempts.
     *
     * @throws IllegalStateException if the calling thread holds it already.
     */
    void lock()
    {
        if (isHeldByCurrentThread())
        {
            throw new IllegalStateException("the duty-cycle lock is not reentrant");
        }
        int attempts = 0;
        while (!tryLock())
        {
            if (++attempts < YIELDS_BEFORE_PARKING)
            {
                Thread.yield();
            }
            else
            {
                LockSupport.parkNanos(this, PARK_NS);
            }
        }
    }

    /**
     * Releases the lock. Only the holder may call this.
     */
    void unlock()
    {
        OWNER.setRelease(this, (Thread)null);
    }

    boolean isHeldByCurrentThread()
    {
        return owner == Thread.currentThread();
    }
}
