package io.rum.allocator.placement;

/**
 * The score of a node for a partition in weighted rendezvous (highest random weight) hashing.
 *
 * <p>Each (node, partition) pair gets a pseudo-random {@code U} uniform in (0, 1) from a hash of both;
 * the score is {@code -weight / ln(U)}, and the node with the highest score holds the partition. Since
 * {@code -ln(U)} is exponentially distributed, {@code -ln(U) / weight} is exponential with rate
 * {@code weight}, and the smallest of several such values belongs to node {@code i} with probability
 * {@code weight_i / sum(weights)}: shares are exactly proportional to weights, not approximately as
 * in a ring with virtual nodes. A node joining takes only the partitions where it now scores highest,
 * and a node leaving hands each of its partitions to that partition's next-ranked node, so no other
 * partition moves: the minimum movement possible.
 */
public final class WeightedRendezvous
{
    private static final long NODE_SALT = 0x48525721504C4143L;
    private static final long PARTITION_MULTIPLIER = 0x9E3779B97F4A7C15L;

    private WeightedRendezvous()
    {
    }

    /**
     * @param nodeId of a node.
     * @return the per-node seed {@link #score} takes, computed once per membership.
     */
    public static long nodeSeed(final int nodeId)
    {
        return KeyHash.mix64(KeyHash.mix64(nodeId ^ NODE_SALT));
    }

    /**
     * @param nodeSeed  from {@link #nodeSeed}.
     * @param weight    of the node, positive.
     * @param partition the partition.
     * @return the node's score for the partition, positive; higher wins.
     */
    public static double score(final long nodeSeed, final double weight, final int partition)
    {
        final long h = KeyHash.mix64(nodeSeed + partition * PARTITION_MULTIPLIER);
        // The top 53 bits plus a half: strictly inside (0, 1), so the log is finite and negative.
        final double u = ((h >>> 11) + 0.5) * 0x1.0p-53;
        return -weight / Math.log(u);
    }
}
