package io.rum.jcache.store;

import java.util.List;

/** A weakly consistent scan over a store's keys, one bounded batch at a time. */
public interface KeyScan extends AutoCloseable {
    /** The next batch of at most the scan's batch size; an empty list once the scan is done. */
    List<byte[]> nextBatch();

    @Override
    void close();
}
