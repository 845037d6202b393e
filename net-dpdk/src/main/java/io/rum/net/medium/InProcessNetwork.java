package io.rum.net.medium;

import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A switch for nodes in one JVM: the embedded default (slaves started in-process) and fast tests.
 *
 * <p>Each attached node gets a bounded many-to-one ring of frames; a sender writes straight into the
 * receiver's ring, so an in-process frame costs one copy and no system call. A full ring is
 * back-pressure, which the reliability layer treats like loss. Peers are node ids.
 */
public final class InProcessNetwork
{
    /** Default inbound ring capacity per node. */
    public static final int DEFAULT_RING_BYTES = 8 * 1024 * 1024;

    /** Highest node id, as in machines.csv. */
    public static final int MAX_NODE_ID = 65535;

    // Indexed by node id: a lookup on the send path neither boxes nor hashes.
    private final AtomicReferenceArray<InProcessMedium> endpoints = new AtomicReferenceArray<>(MAX_NODE_ID + 1);
    private final int maxFrameLength;
    private final int ringBytes;

    /**
     * @param maxFrameLength largest frame, at most an eighth of the ring.
     * @param ringBytes      inbound ring capacity per node, a power of two.
     */
    public InProcessNetwork(final int maxFrameLength, final int ringBytes)
    {
        if (!BitUtil.isPowerOfTwo(ringBytes))
        {
            throw new IllegalArgumentException("ringBytes must be a power of two: " + ringBytes);
        }
        if (maxFrameLength <= 0 || maxFrameLength > ringBytes / 8 - 8)
        {
            throw new IllegalArgumentException("maxFrameLength must be in 1.." + (ringBytes / 8 - 8));
        }
        this.maxFrameLength = maxFrameLength;
        this.ringBytes = ringBytes;
    }

    public InProcessNetwork()
    {
        this(64 * 1024, DEFAULT_RING_BYTES);
    }

    /**
     * Attaches a node.
     *
     * @throws IllegalStateException if the node id is taken.
     */
    public InProcessMedium attach(final int nodeId)
    {
        if (nodeId <= 0 || nodeId > MAX_NODE_ID)
        {
            throw new IllegalArgumentException("node id must be in 1.." + MAX_NODE_ID + ": " + nodeId);
        }
        final ManyToOneRingBuffer ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ringBytes + RingBufferDescriptor.TRAILER_LENGTH)));
        final InProcessMedium medium = new InProcessMedium(this, nodeId, ring, maxFrameLength);
        if (!endpoints.compareAndSet(nodeId, null, medium))
        {
            throw new IllegalStateException("node " + nodeId + " is already attached");
        }
        return medium;
    }

    InProcessMedium endpoint(final int nodeId)
    {
        return nodeId > 0 && nodeId <= MAX_NODE_ID ? endpoints.get(nodeId) : null;
    }

    void detach(final int nodeId, final InProcessMedium medium)
    {
        endpoints.compareAndSet(nodeId, medium, null);
    }
}
