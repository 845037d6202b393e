package io.rum.allocator.placement;

import io.rum.net.config.NodeSpec;

/**
 * Region handles: the names clients hold for regions on slaves, in place of pointers.
 *
 * <pre>
 *  63 62                47 46                31 30                                   0
 * +--+--------------------+--------------------+--------------------------------------+
 * |0 |  node id (16 bits) | generation (16)    |       region slot index (31 bits)    |
 * +--+--------------------+--------------------+--------------------------------------+
 * </pre>
 *
 * <ul>
 * <li><b>node id</b> is the slave that holds the region. It is how explicit placement works: a region
 * allocated on a chosen slave is found there by reading its handle, not by hashing. Named regions carry
 * their hash-placed primary here too, so either kind is routed without a table lookup.</li>
 * <li><b>region slot index</b> indexes the slave's region table, so the slave finds a region by an array
 * index and checks it is in range: a handle is never an address.</li>
 * <li><b>generation</b> is bumped each time the slave reuses a slot, so a handle to a freed region is
 * refused rather than reaching the region that replaced it (until the same slot is reused 65 536 times).</li>
 * </ul>
 * The sign bit is always clear, so a handle is positive and the negative values are free for status codes;
 * a node id is never 0, so neither is a handle, and {@link #NULL} is free to mean "no region". That costs
 * the slot index one bit: 2^31 regions per slave.
 */
public final class Handles
{
    /** Never a valid handle. */
    public static final long NULL = 0;
    /** The largest region slot index. */
    public static final int MAX_SLOT = Integer.MAX_VALUE;
    /** The largest generation; the one after it is 0. */
    public static final int MAX_GENERATION = 0xFFFF;

    private static final int NODE_SHIFT = 47;
    private static final int GENERATION_SHIFT = 31;

    private Handles()
    {
    }

    /**
     * @param nodeId     the slave holding the region, 1..65535.
     * @param generation of the slot, 0..{@link #MAX_GENERATION}.
     * @param slot       the region's index in the slave's table, 0..{@link #MAX_SLOT}.
     * @return the handle.
     * @throws IllegalArgumentException if a field is out of range.
     */
    public static long handle(final int nodeId, final int generation, final int slot)
    {
        if (nodeId < NodeSpec.MIN_ID || nodeId > NodeSpec.MAX_ID)
        {
            throw new IllegalArgumentException("node id " + nodeId + " is outside 1..65535");
        }
        if (generation < 0 || generation > MAX_GENERATION)
        {
            throw new IllegalArgumentException("generation " + generation + " is outside 0..65535");
        }
        if (slot < 0)
        {
            throw new IllegalArgumentException("slot " + slot + " is negative");
        }
        return ((long)nodeId << NODE_SHIFT) | ((long)generation << GENERATION_SHIFT) | slot;
    }

    /** @return the node id of a handle. */
    public static int nodeId(final long handle)
    {
        return (int)(handle >>> NODE_SHIFT) & 0xFFFF;
    }

    /** @return the generation of a handle. */
    public static int generation(final long handle)
    {
        return (int)(handle >>> GENERATION_SHIFT) & MAX_GENERATION;
    }

    /** @return the region slot index of a handle. */
    public static int slot(final long handle)
    {
        return (int)(handle & MAX_SLOT);
    }

    /** @return whether a value is laid out as a handle: positive, with a node id. It may still be stale. */
    public static boolean isWellFormed(final long handle)
    {
        return handle > 0 && nodeId(handle) >= NodeSpec.MIN_ID;
    }

    /** @return the generation a slot gets when it is reused, wrapping after {@link #MAX_GENERATION}. */
    public static int nextGeneration(final int generation)
    {
        return (generation + 1) & MAX_GENERATION;
    }

    /** @return the handle as {@code node:generation:slot}, for logs and errors. */
    public static String toString(final long handle)
    {
        return nodeId(handle) + ":" + generation(handle) + ":" + slot(handle);
    }
}
