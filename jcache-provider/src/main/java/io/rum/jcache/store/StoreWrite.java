package io.rum.jcache.store;

/**
 * The answer to a write.
 *
 * @param applied         whether the write's condition held and it was done (see each operation).
 * @param previousVersion the version of the live entry before the operation, or
 *                        {@link EntryStore#NO_VERSION} if there was none. For a failed
 *                        compare-and-set or putIfAbsent, the current version.
 * @param previousValue   the value before the operation (or the current one when not applied); may
 *                        be null when the caller did not ask for it.
 * @param version         the entry's version after the operation; NO_VERSION if absent after it.
 * @param expiredValue    the bytes of an expired entry this operation found and removed, or null.
 */
public record StoreWrite(boolean applied, long previousVersion, byte[] previousValue, long version, byte[] expiredValue) {
    /** Whether a live entry existed before the operation. */
    public boolean hadPrevious() {
        return previousVersion != EntryStore.NO_VERSION;
    }
}
