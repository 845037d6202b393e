package io.rum.jcache.processor;

import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;

/** The outcome of one key of invokeAll: a value, or the exception its processor threw. */
public final class RumEntryProcessorResult<T> implements EntryProcessorResult<T> {
    private final T value;
    private final EntryProcessorException failure;

    private RumEntryProcessorResult(T value, EntryProcessorException failure) {
        this.value = value;
        this.failure = failure;
    }

    /** A result holding a value. */
    public static <T> RumEntryProcessorResult<T> of(T value) {
        return new RumEntryProcessorResult<>(value, null);
    }

    /** A result that rethrows the failure from {@link #get()}. */
    public static <T> RumEntryProcessorResult<T> failed(EntryProcessorException failure) {
        return new RumEntryProcessorResult<>(null, failure);
    }

    @Override
    public T get() {
        if (failure != null) {
            throw failure;
        }
        return value;
    }
}
