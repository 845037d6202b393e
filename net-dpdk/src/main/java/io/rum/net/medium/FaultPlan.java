package io.rum.net.medium;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What a {@link FaultInjectingMedium} does to frames: probabilities of loss, duplication, reordering and delay,
 * and which directed links are cut. One plan may be shared by the media of every node in a test, so a
 * partition is declared once. Probabilities and partitions may change while traffic flows.
 */
public final class FaultPlan
{
    private volatile double dropRate;
    private volatile double duplicateRate;
    private volatile double reorderRate;
    private volatile double delayRate;
    private volatile long maxDelayNs;
    private final ConcurrentHashMap.KeySetView<Long, Boolean> cutLinks = ConcurrentHashMap.newKeySet();

    public static FaultPlan none()
    {
        return new FaultPlan();
    }

    public FaultPlan drop(final double rate)
    {
        dropRate = checkRate(rate);
        return this;
    }

    public FaultPlan duplicate(final double rate)
    {
        duplicateRate = checkRate(rate);
        return this;
    }

    public FaultPlan reorder(final double rate)
    {
        reorderRate = checkRate(rate);
        return this;
    }

    public FaultPlan delay(final double rate, final long maxDelayNs)
    {
        if (maxDelayNs < 0)
        {
            throw new IllegalArgumentException("maxDelayNs must not be negative");
        }
        this.maxDelayNs = maxDelayNs;
        delayRate = checkRate(rate);
        return this;
    }

    /**
     * Cuts frames from {@code fromNode} to {@code toNode} (a one-way partition).
     */
    public FaultPlan cut(final int fromNode, final int toNode)
    {
        cutLinks.add(link(fromNode, toNode));
        return this;
    }

    /**
     * Cuts both directions between two nodes.
     */
    public FaultPlan partition(final int nodeA, final int nodeB)
    {
        return cut(nodeA, nodeB).cut(nodeB, nodeA);
    }

    /**
     * Restores every cut link.
     */
    public FaultPlan heal()
    {
        cutLinks.clear();
        return this;
    }

    /**
     * @return the cut links, each {@code (fromNode << 32) | toNode}.
     */
    public java.util.Set<Long> cutLinks()
    {
        return java.util.Set.copyOf(cutLinks);
    }

    public boolean isCut(final int fromNode, final int toNode)
    {
        return !cutLinks.isEmpty() && cutLinks.contains(link(fromNode, toNode));
    }

    public double dropRate()
    {
        return dropRate;
    }

    public double duplicateRate()
    {
        return duplicateRate;
    }

    public double reorderRate()
    {
        return reorderRate;
    }

    public double delayRate()
    {
        return delayRate;
    }

    public long maxDelayNs()
    {
        return maxDelayNs;
    }

    @Override
    public String toString()
    {
        return "FaultPlan{drop=" + dropRate + ", duplicate=" + duplicateRate + ", reorder=" + reorderRate +
            ", delay=" + delayRate + " up to " + maxDelayNs + "ns, cut=" + cutLinks.size() + " links}";
    }

    private static long link(final int fromNode, final int toNode)
    {
        return ((long)fromNode << 32) | (toNode & 0xFFFF_FFFFL);
    }

    private static double checkRate(final double rate)
    {
        if (!(rate >= 0.0 && rate <= 1.0))
        {
            throw new IllegalArgumentException("rate must be in [0, 1]: " + rate);
        }
        return rate;
    }
}
