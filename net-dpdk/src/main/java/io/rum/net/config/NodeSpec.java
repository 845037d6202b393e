package io.rum.net.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One machine of the cluster as {@code machines.csv} describes it: who it is, what it does, and
 * how to reach it.
 *
 * <p>A node is reached over UDP, over DPDK by MAC, or both, so it has at least one of the two
 * addresses. A UDP address given by hostname is kept unresolved: the transport resolves it when
 * it binds or sends, so reading the configuration never waits on DNS.
 *
 * @param id     the node id, {@value #MIN_ID}..{@value #MAX_ID}; it is what goes on the wire.
 * @param role   whether the node holds entries or runs the cache client.
 * @param udp    the UDP endpoint, or {@code null} if the node is reached by MAC only.
 * @param mac    the Ethernet address DPDK frames are sent to, or {@code null} if UDP only.
 * @param vdev   DPDK {@code --vdev} arguments for the port this node uses
 *               (e.g. {@code net_memif0,role=server,socket=/tmp/rum.sock}), or {@code null}.
 * @param weight the share of entries a slave holds relative to other slaves; positive and finite.
 */
public record NodeSpec(int id, Role role, InetSocketAddress udp, MacAddress mac, String vdev, double weight)
{
    /** The smallest node id. */
    public static final int MIN_ID = 1;
    /** The largest node id: ids travel in 16 bits. */
    public static final int MAX_ID = 65535;
    /** The weight of a node whose weight is not given. */
    public static final double DEFAULT_WEIGHT = 1.0;

    /**
     * @throws IllegalArgumentException if the id is out of range, there is no address, or the weight
     *                                  is not positive and finite.
     */
    public NodeSpec
    {
        Objects.requireNonNull(role, "role");
        if (id < MIN_ID || id > MAX_ID)
        {
            throw new IllegalArgumentException("node id " + id + " is outside " + MIN_ID + ".." + MAX_ID);
        }
        if (udp == null && mac == null)
        {
            throw new IllegalArgumentException("node " + id + " has no address: expected a udp address, a mac, or both");
        }
        if (!(weight > 0) || !Double.isFinite(weight))
        {
            throw new IllegalArgumentException("node " + id + " has weight " + weight + ": expected positive and finite");
        }
        if (vdev != null && vdev.isEmpty())
        {
            vdev = null;
        }
    }

    /** @return whether the node holds cache entries. */
    public boolean isSlave()
    {
        return role == Role.SLAVE;
    }

    /** @return whether the node can be reached over UDP. */
    public boolean hasUdp()
    {
        return udp != null;
    }

    /** @return whether the node can be reached over DPDK by MAC. */
    public boolean hasMac()
    {
        return mac != null;
    }
}
