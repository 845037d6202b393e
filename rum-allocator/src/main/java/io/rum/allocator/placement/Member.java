package io.rum.allocator.placement;

import io.rum.net.config.NodeSpec;

/**
 * A slave as placement sees it: its id and the share of partitions it should hold relative to others.
 *
 * @param nodeId the node id, {@value NodeSpec#MIN_ID}..{@value NodeSpec#MAX_ID}.
 * @param weight positive and finite; a slave of weight 2 holds twice the partitions of one of weight 1.
 */
public record Member(int nodeId, double weight)
{
    /**
     * @throws IllegalArgumentException if the id is out of range or the weight not positive and finite.
     */
    public Member
    {
        if (nodeId < NodeSpec.MIN_ID || nodeId > NodeSpec.MAX_ID)
        {
            throw new IllegalArgumentException(
                "node id " + nodeId + " is outside " + NodeSpec.MIN_ID + ".." + NodeSpec.MAX_ID);
        }
        if (!(weight > 0) || !Double.isFinite(weight))
        {
            throw new IllegalArgumentException("node " + nodeId + " has weight " + weight + ": expected positive and finite");
        }
    }

    /** @return the member a configured slave is. */
    public static Member of(final NodeSpec node)
    {
        return new Member(node.id(), node.weight());
    }
}
