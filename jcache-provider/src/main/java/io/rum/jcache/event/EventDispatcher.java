package io.rum.jcache.event;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.event.EventType;

/**
 * Delivers a cache's entry events to its listeners.
 *
 * <p>Synchronous listeners run in the thread of the cache operation, after the store has applied
 * it and before the operation returns; their exceptions reach the caller. Asynchronous listeners
 * run on this cache's own small pool of <em>lanes</em>: each lane is one thread with a bounded
 * queue, and a key always maps to the same lane, so the events of one key arrive in the order
 * they happened, while different keys proceed in parallel. A full queue makes the publishing
 * thread wait (back-pressure rather than unbounded memory). Lanes start on first use, so a cache
 * without asynchronous listeners has no threads. Asynchronous listener exceptions are logged.
 */
public final class EventDispatcher<K, V> implements AutoCloseable {
    private static final Logger LOG = System.getLogger(EventDispatcher.class.getName());

    private final String cacheName;
    private final int laneCount;
    private final int laneCapacity;
    private final CopyOnWriteArrayList<ListenerRegistration<K, V>> registrations = new CopyOnWriteArrayList<>();
    private volatile ThreadPoolExecutor[] lanes;
    private volatile boolean closed;

    /**
     * @param laneCount    asynchronous delivery threads (at most), one queue each.
     * @param laneCapacity bound of each lane's queue, in events.
     */
    public EventDispatcher(String cacheName, int laneCount, int laneCapacity) {
        this.cacheName = cacheName;
        this.laneCount = Math.max(1, laneCount);
        this.laneCapacity = Math.max(1, laneCapacity);
    }

    /** Creates the listener and filter of a configuration and starts delivering to them. */
    public void register(CacheEntryListenerConfiguration<K, V> configuration) {
        registrations.add(new ListenerRegistration<>(configuration));
    }

    /** Stops delivering to the listener of this configuration and closes it; false if none. */
    public boolean deregister(CacheEntryListenerConfiguration<K, V> configuration) {
        for (final ListenerRegistration<K, V> r : registrations) {
            if (r.configuration.equals(configuration)) {
                registrations.remove(r);
                closeQuietly(r);
                return true;
            }
        }
        return false;
    }

    /** Whether some listener wants events of this type (so the cache need not build them otherwise). */
    public boolean hasListener(EventType type) {
        for (final ListenerRegistration<K, V> r : registrations) {
            if (r.handles(type)) {
                return true;
            }
        }
        return false;
    }

    /** Whether any listener is registered. */
    public boolean isEmpty() {
        return registrations.isEmpty();
    }

    /** Publishes one event; returns after the synchronous listeners have run. */
    public void publish(RumCacheEntryEvent<K, V> event) {
        RuntimeException failure = null;
        for (final ListenerRegistration<K, V> r : registrations) {
            if (!r.handles(event.getEventType())) {
                continue;
            }
            if (r.isSynchronous()) {
                try {
                    r.deliver(event);
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    }
                }
            } else {
                enqueue(r, event);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void enqueue(ListenerRegistration<K, V> r, RumCacheEntryEvent<K, V> event) {
        final ThreadPoolExecutor lane = lanes()[Math.floorMod(spread(event.getKey()), laneCount)];
        try {
            lane.execute(() -> {
                try {
                    r.deliver(event);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "asynchronous listener of cache " + cacheName + " failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // The cache is closing: late events are dropped, as the listener is being closed.
        }
    }

    private static int spread(Object key) {
        final int h = key.hashCode();
        return h ^ (h >>> 16);
    }

    private ThreadPoolExecutor[] lanes() {
        ThreadPoolExecutor[] l = lanes;
        if (l == null) {
            synchronized (this) {
                l = lanes;
                if (l == null) {
                    l = new ThreadPoolExecutor[laneCount];
                    for (int i = 0; i < laneCount; i++) {
                        final String threadName = "rum-jcache-events-" + cacheName + "-" + i;
                        final ThreadPoolExecutor lane = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                            new ArrayBlockingQueue<>(laneCapacity), run -> {
                                final Thread t = new Thread(run, threadName);
                                t.setDaemon(true);
                                return t;
                            }, EventDispatcher::waitForRoom);
                        l[i] = lane;
                    }
                    lanes = l;
                }
            }
        }
        return l;
    }

    /** Back-pressure: the publisher waits for room in the lane's queue. */
    private static void waitForRoom(Runnable task, ThreadPoolExecutor lane) {
        if (lane.isShutdown()) {
            throw new RejectedExecutionException("event lane closed");
        }
        try {
            lane.getQueue().put(task);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RejectedExecutionException("interrupted while waiting for an event lane", e);
        }
    }

    /** The listener configurations currently registered. */
    public List<CacheEntryListenerConfiguration<K, V>> configurations() {
        final List<CacheEntryListenerConfiguration<K, V>> list = new ArrayList<>();
        for (final ListenerRegistration<K, V> r : registrations) {
            list.add(r.configuration);
        }
        return list;
    }

    /**
     * Delivers the queued asynchronous events (bounded wait), stops the lanes and closes every
     * listener and filter that is {@link java.io.Closeable}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        final ThreadPoolExecutor[] l = lanes;
        if (l != null) {
            for (final ThreadPoolExecutor lane : l) {
                lane.shutdown();
            }
            for (final ThreadPoolExecutor lane : l) {
                try {
                    if (!lane.awaitTermination(5, TimeUnit.SECONDS)) {
                        lane.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    lane.shutdownNow();
                }
            }
        }
        for (final ListenerRegistration<K, V> r : registrations) {
            closeQuietly(r);
        }
        registrations.clear();
    }

    private void closeQuietly(ListenerRegistration<K, V> r) {
        try {
            r.close();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "closing a listener of cache " + cacheName + " failed", e);
        }
    }
}
