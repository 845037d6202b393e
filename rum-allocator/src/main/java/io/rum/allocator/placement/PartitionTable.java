package io.rum.allocator.placement;

import io.rum.net.config.Machines;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which slaves hold each partition, computed once per membership so that finding a key's slave is a hash
 * and an array index.
 *
 * <p>A key hashes ({@link KeyHash}) to one of a fixed number of partitions (the top bits of the hash), and a
 * partition is placed by {@link WeightedRendezvous}: the node with the highest score is its primary, the
 * next ones in score order its backups. Keys never map to nodes directly, so that a membership change moves
 * whole partitions, which can be counted, streamed and fenced one by one.
 *
 * <h2>Why 2^18 partitions by default</h2>
 * The load of a node is the number of partitions it wins, which is binomial: for a node with share
 * {@code s} of the weight and {@code P} partitions, its relative spread is {@code sqrt((1 - s) / (P s))}.
 * Keys add a little noise on top (about {@code 1/sqrt(keys on the node)}). The bounds we promise are, for
 * 1 M keys: max/mean load at most 1.05 at 10 equal slaves; keys moved on a join or leave within 1.05 of
 * the minimum; each weight's key share within 2% (relative) of its weight share, down to a share of 10%.
 * The last one is the hardest: at a 10% share it needs 2% to be three standard deviations or more, i.e.
 * {@code P >= 9 * (3 / 0.02)^2}, about 200 000. With 4096 partitions the spread at 10 slaves alone would be
 * 4.7% per node and max/mean about 1.07; with 65 536, max/mean passes (about 1.02) but a 10% weight share is
 * off by more than 2% one time in ten. At 2^18 the spread is 0.59% per node (at 10 slaves) and 0.0059 at a
 * 10% share, so all three bounds hold with margin (measured in {@code PartitionTableTest}).
 * The cost: building the table scores every (partition, node) pair, {@code 2^18 * nodes} hashes and
 * logarithms (measured here: about 70 ms at 10 nodes, 0.33 s at 100, once per membership epoch); it holds {@code 2^18 * storedReplicas}
 * ints (4 MiB for the default 4). Fewer partitions are a constructor argument away for small clusters.
 *
 * <p>Immutable and so safe to share between threads; a new membership builds a new table.
 */
public final class PartitionTable
{
    /** The default number of partitions, 2^18: see the class comment. */
    public static final int DEFAULT_PARTITION_COUNT = 1 << 18;
    /** Ranks kept per partition by default: the primary and three backups. */
    public static final int DEFAULT_STORED_REPLICAS = 4;

    private final int[] nodeIds;
    private final double[] weights;
    private final long[] seeds;
    private final int partitionCount;
    private final int partitionShift;
    private final int stored;
    private final int[] ranked;

    private PartitionTable(final List<Member> members, final int partitionCount, final int storedReplicas)
    {
        if (members.isEmpty())
        {
            throw new IllegalArgumentException("a partition table needs at least one member");
        }
        if (partitionCount < 1 || Integer.bitCount(partitionCount) != 1)
        {
            throw new IllegalArgumentException("partition count " + partitionCount + " must be a power of two");
        }
        if (storedReplicas < 1)
        {
            throw new IllegalArgumentException("stored replicas " + storedReplicas + " must be at least 1");
        }
        final Set<Integer> seen = new HashSet<>();
        nodeIds = new int[members.size()];
        weights = new double[members.size()];
        seeds = new long[members.size()];
        for (int i = 0; i < nodeIds.length; i++)
        {
            final Member member = Objects.requireNonNull(members.get(i), "member");
            if (!seen.add(member.nodeId()))
            {
                throw new IllegalArgumentException("node " + member.nodeId() + " is a member twice");
            }
            nodeIds[i] = member.nodeId();
            weights[i] = member.weight();
            seeds[i] = WeightedRendezvous.nodeSeed(member.nodeId());
        }
        this.partitionCount = partitionCount;
        partitionShift = Long.SIZE - Integer.numberOfTrailingZeros(partitionCount);
        stored = Math.min(storedReplicas, nodeIds.length);
        ranked = new int[partitionCount * stored];
        final double[] topScores = new double[stored];
        for (int p = 0; p < partitionCount; p++)
        {
            rankTop(p, topScores);
        }
    }

    /**
     * @param members the slaves, distinct ids, in any order: the table does not depend on the order.
     * @return a table of {@link #DEFAULT_PARTITION_COUNT} partitions.
     */
    public static PartitionTable build(final List<Member> members)
    {
        return new PartitionTable(members, DEFAULT_PARTITION_COUNT, DEFAULT_STORED_REPLICAS);
    }

    /**
     * @param members        the slaves, distinct ids.
     * @param partitionCount a power of two.
     * @param storedReplicas ranks kept per partition for O(1) {@link #replicas}; more are computed on demand.
     * @return the table.
     */
    public static PartitionTable build(final List<Member> members, final int partitionCount, final int storedReplicas)
    {
        return new PartitionTable(members, partitionCount, storedReplicas);
    }

    /** @return a table of the default size over the slaves of a configuration. */
    public static PartitionTable ofSlaves(final Machines machines)
    {
        return build(machines.slaves().stream().map(Member::of).toList());
    }

    /** @return the number of partitions, a power of two. */
    public int partitionCount()
    {
        return partitionCount;
    }

    /** @return the number of member nodes. */
    public int nodeCount()
    {
        return nodeIds.length;
    }

    /**
     * @param keyHash from {@link KeyHash}.
     * @return its partition: the top bits of the hash.
     */
    public int partitionOf(final long keyHash)
    {
        return partitionShift == Long.SIZE ? 0 : (int)(keyHash >>> partitionShift);
    }

    /** @return the partition of a key's bytes. */
    public int partitionOf(final byte[] key)
    {
        return partitionOf(KeyHash.hash(key));
    }

    /** @return the node id that holds a partition's primary copy. */
    public int primary(final int partition)
    {
        return nodeIds[ranked[Objects.checkIndex(partition, partitionCount) * stored]];
    }

    /**
     * Fills in the nodes of a partition in rank order, primary first; allocation-free.
     *
     * @param partition the partition.
     * @param count     how many, 1..{@link #nodeCount()}.
     * @param dst       receives the node ids; at least {@code count} long.
     * @return {@code count}.
     */
    public int replicas(final int partition, final int count, final int[] dst)
    {
        Objects.checkIndex(partition, partitionCount);
        if (count < 1 || count > nodeIds.length)
        {
            throw new IllegalArgumentException("replica count " + count + " must be 1.." + nodeIds.length);
        }
        if (count <= stored)
        {
            for (int r = 0; r < count; r++)
            {
                dst[r] = nodeIds[ranked[partition * stored + r]];
            }
        }
        else
        {
            final int[] order = fullRanking(partition);
            for (int r = 0; r < count; r++)
            {
                dst[r] = nodeIds[order[r]];
            }
        }
        return count;
    }

    /** @return the node ids of a partition in rank order, primary first, {@code count} of them. */
    public int[] replicas(final int partition, final int count)
    {
        final int[] dst = new int[count];
        replicas(partition, count, dst);
        return dst;
    }

    /** Keeps the {@code stored} best nodes of a partition, best first, by insertion into a short list. */
    private void rankTop(final int partition, final double[] topScores)
    {
        final int base = partition * stored;
        int filled = 0;
        for (int node = 0; node < nodeIds.length; node++)
        {
            final double score = WeightedRendezvous.score(seeds[node], weights[node], partition);
            int at = filled;
            while (at > 0 && beats(score, node, topScores[at - 1], ranked[base + at - 1]))
            {
                at--;
            }
            if (at < stored)
            {
                final int last = Math.min(filled, stored - 1);
                for (int r = last; r > at; r--)
                {
                    topScores[r] = topScores[r - 1];
                    ranked[base + r] = ranked[base + r - 1];
                }
                topScores[at] = score;
                ranked[base + at] = node;
                filled = Math.min(filled + 1, stored);
            }
        }
    }

    /** Scores tie with probability ~0; the lower node id wins a tie so every JVM agrees. */
    private boolean beats(final double score, final int node, final double otherScore, final int otherNode)
    {
        return score > otherScore || (score == otherScore && nodeIds[node] < nodeIds[otherNode]);
    }

    private int[] fullRanking(final int partition)
    {
        final List<Integer> order = new ArrayList<>(nodeIds.length);
        final double[] scores = new double[nodeIds.length];
        for (int node = 0; node < nodeIds.length; node++)
        {
            scores[node] = WeightedRendezvous.score(seeds[node], weights[node], partition);
            order.add(node);
        }
        order.sort(Comparator.<Integer>comparingDouble(n -> -scores[n]).thenComparingInt(n -> nodeIds[n]));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString()
    {
        return "PartitionTable[partitions=" + partitionCount + ", nodes=" + Arrays.toString(nodeIds) + "]";
    }
}
