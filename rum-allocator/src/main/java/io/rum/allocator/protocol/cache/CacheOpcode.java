package io.rum.allocator.protocol.cache;

import io.rum.net.transport.Services;

/**
 * Operation codes of the cache service: the first byte of every cache request, within
 * {@link Services#CACHE_FIRST}..{@link Services#CACHE_LAST}. Part of the wire protocol: never renumber.
 */
public final class CacheOpcode
{
    /** Items: key; ttlA = access duration. Answers the value, version and remaining life. */
    public static final int GET = 80;
    /** Items: key; version = expected; ttlA = new duration. Applied if the version matches. */
    public static final int TOUCH = 81;
    /** Items: key, value; ttlA = creation, ttlB = update duration. Always applied. */
    public static final int PUT = 82;
    /** Items: key, value; ttlA = creation duration. Applied if absent; else answers the current entry. */
    public static final int PUT_IF_ABSENT = 83;
    /** Items: key, value or none (remove); version = expected; ttlA = duration. Applied if the version matches. */
    public static final int COMPARE_AND_SET = 84;
    /** Items: key. Removes whatever the value. */
    public static final int REMOVE = 85;
    /** No items: removes every entry of the cache. */
    public static final int CLEAR = 86;
    /** No items: answers the number of live entries in the header's result. */
    public static final int SIZE = 87;
    /** One item: version = cursor; ttlA = key budget. Answers keys of whole partitions and the next cursor. */
    public static final int SCAN = 88;
    /** No items: drops the cache and its subscribers. */
    public static final int DESTROY = 89;
    /**
     * No items; the header's argument = the stream to publish invalidations on. Renews a subscription; the
     * result is 1 if it was not there (new, or dropped after silence: changes may have been missed), else 0.
     */
    public static final int SUBSCRIBE = 90;
    /** No items: answers the slave's clock (every response carries it). */
    public static final int CLOCK = 91;
    /** No items; the header's argument = the stream. Ends a subscription (a cache closed). */
    public static final int UNSUBSCRIBE = 92;

    private CacheOpcode()
    {
    }

    /** @return the opcode's name, for errors and statistics. */
    public static String name(final int opcode)
    {
        return switch (opcode)
        {
            case GET -> "GET";
            case TOUCH -> "TOUCH";
            case PUT -> "PUT";
            case PUT_IF_ABSENT -> "PUT_IF_ABSENT";
            case COMPARE_AND_SET -> "COMPARE_AND_SET";
            case REMOVE -> "REMOVE";
            case CLEAR -> "CLEAR";
            case SIZE -> "SIZE";
            case SCAN -> "SCAN";
            case DESTROY -> "DESTROY";
            case SUBSCRIBE -> "SUBSCRIBE";
            case CLOCK -> "CLOCK";
            case UNSUBSCRIBE -> "UNSUBSCRIBE";
            default -> "opcode " + opcode;
        };
    }

    /** @return whether the opcode carries items. */
    public static boolean hasItems(final int opcode)
    {
        return opcode <= REMOVE || opcode == SCAN;
    }
}
