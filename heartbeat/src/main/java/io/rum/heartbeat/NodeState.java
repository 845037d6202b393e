package io.rum.heartbeat;

/**
 * What the membership view believes of a node.
 */
public enum NodeState
{
    /** Heartbeats arrive as expected. */
    UP,
    /** Heartbeats are late enough to doubt, not yet to act. */
    SUSPECT,
    /** Declared failed: replication and placement act on it. A heartbeat brings it back UP. */
    DOWN
}
