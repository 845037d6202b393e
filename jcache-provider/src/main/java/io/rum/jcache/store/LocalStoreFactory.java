package io.rum.jcache.store;

import java.net.URI;
import java.util.Properties;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

/**
 * The in-process mode: every cache's entries live in this JVM in a {@link LocalEntryStore}. Used
 * for the provider's default URI and whenever no other {@link StoreFactory} accepts the URI.
 */
public final class LocalStoreFactory implements StoreFactory {
    private final EpochClock clock;

    /** A factory on the system clock. */
    public LocalStoreFactory() {
        this(SystemEpochClock.INSTANCE);
    }

    /** A factory whose stores use this clock (tests). */
    public LocalStoreFactory(EpochClock clock) {
        this.clock = clock;
    }

    @Override
    public boolean accepts(URI uri, Properties properties) {
        return true;
    }

    @Override
    public StoreFactory open(URI uri, Properties properties) {
        return new LocalStoreFactory(clock);
    }

    @Override
    public EntryStore createStore(String cacheName) {
        return new LocalEntryStore(clock);
    }

    @Override
    public void destroyStore(String cacheName) {
        // Entries of an in-JVM store die with the store, which the cache closes.
    }

    @Override
    public void close() {
    }
}
