package io.rum.jcache.store;

/**
 * The answer to a read: the entry's version and value ({@link EntryStore#NO_VERSION} and null when
 * absent), and the bytes of an expired entry this read found and removed, if any (for the
 * expired event).
 */
public record StoreEntry(long version, byte[] value, byte[] expiredValue) {
    private static final StoreEntry ABSENT = new StoreEntry(EntryStore.NO_VERSION, null, null);

    /** The shared answer for "absent, nothing expired". */
    public static StoreEntry absent() {
        return ABSENT;
    }

    /** Whether a live entry was found. */
    public boolean isPresent() {
        return version != EntryStore.NO_VERSION;
    }
}
