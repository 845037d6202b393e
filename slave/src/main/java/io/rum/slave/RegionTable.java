package io.rum.slave;

import io.rum.allocator.placement.Handles;
import io.rum.allocator.protocol.Status;
import org.agrona.collections.Object2IntHashMap;

import java.util.Arrays;

/**
 * The slave's regions, indexed by slot: the allocator token of each region's bytes, its requested size, the
 * generation of its slot, the node that created it and whether it is named. Primitive arrays, so the heap does
 * not hold one object per region (names excepted: a named region keeps its name for the name index).
 *
 * <p>A handle ({@link Handles}) carries this node's id, the slot's generation and the slot. Freeing a region
 * bumps its slot's generation and pushes the slot on a free stack; the next region reuses the slot with the new
 * generation, so a handle to the freed region is told {@link Status#FREED} rather than reaching its successor.
 * The number of regions is bounded ({@code maxRegions}); the arrays grow by doubling up to it.
 *
 * <p>Deterministic (free slots are reused last-freed first) and single-threaded: only the
 * {@link SlaveStateMachine} touches it, on its one thread.
 */
public final class RegionTable
{
    /** The token of a slot that holds no region. */
    public static final long NO_TOKEN = -1;
    private static final int INITIAL_CAPACITY = 1024;

    private final int nodeId;
    private final int maxRegions;
    private final Object2IntHashMap<String> slotByName = new Object2IntHashMap<>(-1);
    private long[] tokens;
    private long[] sizes;
    private int[] generations;
    private int[] owners;
    private int[] ownerEpochs;
    private String[] names;
    private int[] freeSlots;
    private int freeCount;
    private int highWater;
    private int live;

    /**
     * @param nodeId     this slave's id, carried in every handle.
     * @param maxRegions the most regions at once, 1..{@link Handles#MAX_SLOT}.
     */
    public RegionTable(final int nodeId, final int maxRegions)
    {
        if (maxRegions < 1)
        {
            throw new IllegalArgumentException("maxRegions must be positive: " + maxRegions);
        }
        Handles.handle(nodeId, 0, 0);
        this.nodeId = nodeId;
        this.maxRegions = maxRegions;
        final int capacity = Math.min(maxRegions, INITIAL_CAPACITY);
        tokens = new long[capacity];
        sizes = new long[capacity];
        generations = new int[capacity];
        owners = new int[capacity];
        ownerEpochs = new int[capacity];
        names = new String[capacity];
        freeSlots = new int[capacity];
        Arrays.fill(tokens, NO_TOKEN);
    }

    public int nodeId()
    {
        return nodeId;
    }

    public int maxRegions()
    {
        return maxRegions;
    }

    /** @return live regions. */
    public int size()
    {
        return live;
    }

    /** @return live named regions. */
    public int namedCount()
    {
        return slotByName.size();
    }

    public boolean isFull()
    {
        return live == maxRegions;
    }

    /**
     * Records a new region.
     *
     * @param name null for an anonymous region.
     * @return its slot, or -1 if the table is full.
     */
    public int add(final long token, final long sizeBytes, final int ownerNode, final int ownerEpoch, final String name)
    {
        final int slot;
        if (freeCount > 0)
        {
            slot = freeSlots[--freeCount];
        }
        else if (highWater < maxRegions)
        {
            if (highWater == tokens.length)
            {
                grow();
            }
            slot = highWater++;
        }
        else
        {
            return -1;
        }
        tokens[slot] = token;
        sizes[slot] = sizeBytes;
        owners[slot] = ownerNode;
        ownerEpochs[slot] = ownerEpoch;
        names[slot] = name;
        if (null != name)
        {
            slotByName.put(name, slot);
        }
        live++;
        return slot;
    }

    /** Forgets a region; its handle goes stale. */
    public void remove(final int slot)
    {
        if (null != names[slot])
        {
            slotByName.removeKey(names[slot]);
            names[slot] = null;
        }
        tokens[slot] = NO_TOKEN;
        sizes[slot] = 0;
        owners[slot] = 0;
        ownerEpochs[slot] = 0;
        generations[slot] = Handles.nextGeneration(generations[slot]);
        freeSlots[freeCount++] = slot;
        live--;
    }

    /**
     * @return the slot a handle names, or {@code -Status.BAD_HANDLE} (another node, a slot never used) or
     * {@code -Status.FREED} (a stale generation).
     */
    public int resolve(final long handle)
    {
        if (!Handles.isWellFormed(handle) || Handles.nodeId(handle) != nodeId)
        {
            return -Status.BAD_HANDLE;
        }
        final int slot = Handles.slot(handle);
        if (slot >= highWater)
        {
            return -Status.BAD_HANDLE;
        }
        if (Handles.generation(handle) != generations[slot] || tokens[slot] == NO_TOKEN)
        {
            return -Status.FREED;
        }
        return slot;
    }

    /** @return the slot of a named region, or -1. */
    public int slotOf(final String name)
    {
        return slotByName.getValue(name);
    }

    public long handle(final int slot)
    {
        return Handles.handle(nodeId, generations[slot], slot);
    }

    public long token(final int slot)
    {
        return tokens[slot];
    }

    public void token(final int slot, final long token)
    {
        tokens[slot] = token;
    }

    public long sizeBytes(final int slot)
    {
        return sizes[slot];
    }

    public void sizeBytes(final int slot, final long sizeBytes)
    {
        sizes[slot] = sizeBytes;
    }

    public int generation(final int slot)
    {
        return generations[slot];
    }

    /** @return the lease epoch of the session that created the region. */
    public int ownerEpoch(final int slot)
    {
        return ownerEpochs[slot];
    }

    public int owner(final int slot)
    {
        return owners[slot];
    }

    public boolean isNamed(final int slot)
    {
        return null != names[slot];
    }

    public String name(final int slot)
    {
        return names[slot];
    }

    /** @return slots ever used: a handle's slot at or above it was never handed out. */
    public int highWater()
    {
        return highWater;
    }

    private void grow()
    {
        final int capacity = (int)Math.min(maxRegions, 2L * tokens.length);
        final int old = tokens.length;
        tokens = Arrays.copyOf(tokens, capacity);
        Arrays.fill(tokens, old, capacity, NO_TOKEN);
        sizes = Arrays.copyOf(sizes, capacity);
        generations = Arrays.copyOf(generations, capacity);
        owners = Arrays.copyOf(owners, capacity);
        ownerEpochs = Arrays.copyOf(ownerEpochs, capacity);
        names = Arrays.copyOf(names, capacity);
        freeSlots = Arrays.copyOf(freeSlots, capacity);
    }
}
