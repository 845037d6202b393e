package io.rum.heartbeat;

/**
 * Told of every change of a node's state. Called on the heartbeat agent's thread; must not block.
 */
@FunctionalInterface
public interface MembershipListener
{
    void onChange(int nodeId, NodeState from, NodeState to, long nowNs);
}
