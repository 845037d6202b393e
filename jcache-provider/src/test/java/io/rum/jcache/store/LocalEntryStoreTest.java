package io.rum.jcache.store;

import org.agrona.concurrent.CachedEpochClock;

/** The store contract for the in-JVM store. */
class LocalEntryStoreTest extends EntryStoreContractTest {
    @Override
    protected EntryStore createStore(CachedEpochClock clock) {
        return new LocalEntryStore(clock);
    }
}
