package io.rum.jcache.event;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.Factory;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryEventFilter;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryListener;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.event.EventType;

/** One registered listener: the instance and filter its configuration's factories made. */
final class ListenerRegistration<K, V> implements Closeable {
    final CacheEntryListenerConfiguration<K, V> configuration;
    final CacheEntryListener<? super K, ? super V> listener;
    final CacheEntryEventFilter<? super K, ? super V> filter;

    ListenerRegistration(CacheEntryListenerConfiguration<K, V> configuration) {
        this.configuration = configuration;
        this.listener = configuration.getCacheEntryListenerFactory().create();
        final Factory<CacheEntryEventFilter<? super K, ? super V>> filterFactory =
            configuration.getCacheEntryEventFilterFactory();
        this.filter = filterFactory == null ? null : filterFactory.create();
    }

    boolean isSynchronous() {
        return configuration.isSynchronous();
    }

    /** Whether the listener implements the interface for this event type. */
    boolean handles(EventType type) {
        return switch (type) {
            case CREATED -> listener instanceof CacheEntryCreatedListener;
            case UPDATED -> listener instanceof CacheEntryUpdatedListener;
            case REMOVED -> listener instanceof CacheEntryRemovedListener;
            case EXPIRED -> listener instanceof CacheEntryExpiredListener;
        };
    }

    /** Filters and delivers one event; listener exceptions come out as CacheEntryListenerException. */
    @SuppressWarnings("unchecked") // the listener was registered for <K, V>; the casts only pick the interface
    void deliver(RumCacheEntryEvent<K, V> event) {
        try {
            if (filter != null && !filter.evaluate(event)) {
                return;
            }
            final List<CacheEntryEvent<? extends K, ? extends V>> events = List.of(event);
            switch (event.getEventType()) {
                case CREATED -> ((CacheEntryCreatedListener<K, V>) listener).onCreated(events);
                case UPDATED -> ((CacheEntryUpdatedListener<K, V>) listener).onUpdated(events);
                case REMOVED -> ((CacheEntryRemovedListener<K, V>) listener).onRemoved(events);
                case EXPIRED -> ((CacheEntryExpiredListener<K, V>) listener).onExpired(events);
            }
        } catch (CacheEntryListenerException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CacheEntryListenerException("listener failed on " + event.getEventType(), e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (listener instanceof Closeable c) {
                c.close();
            }
        } finally {
            if (filter instanceof Closeable c) {
                c.close();
            }
        }
    }
}
