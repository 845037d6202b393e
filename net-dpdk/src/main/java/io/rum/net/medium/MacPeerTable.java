package io.rum.net.medium;

import io.rum.net.config.MacAddress;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;
import java.util.Map;

/**
 * Peer numbers for an Ethernet medium ({@link Medium}'s peers), one per MAC: first the configured nodes' MACs, in
 * route order, which keep their numbers for the life of the medium; then MACs learned from received frames, which
 * take the remaining numbers in turn and, when those run out, the oldest learned number again (a client that sent
 * nothing for that long is answered by its new number when it sends again). Bounded: {@code maxPeers} numbers.
 *
 * <p>One thread uses a table: the medium's poller.
 */
public final class MacPeerTable
{
    /** The MAC of a free number. */
    public static final long NO_MAC = -1;

    private final long[] peerMacs;
    private final Long2LongHashMap peerByMac;
    private final Int2IntHashMap peerByNode = new Int2IntHashMap(Medium.NO_ROUTE);
    private final int configuredPeers;
    private int nextLearned;

    /**
     * @param routes   node id to MAC for every node the medium may send to first.
     * @param maxPeers how many peer numbers there are.
     */
    public MacPeerTable(final Map<Integer, MacAddress> routes, final int maxPeers)
    {
        if (routes.size() >= maxPeers)
        {
            throw new IllegalArgumentException("more routes (" + routes.size() + ") than peers " + maxPeers);
        }
        this.peerMacs = new long[maxPeers];
        Arrays.fill(peerMacs, NO_MAC);
        this.peerByMac = new Long2LongHashMap(maxPeers * 2, 0.65f, Medium.NO_ROUTE);
        int peer = 0;
        for (final Map.Entry<Integer, MacAddress> route : routes.entrySet())
        {
            final long peerMac = route.getValue().value();
            if (peerByMac.get(peerMac) == Medium.NO_ROUTE)
            {
                peerMacs[peer] = peerMac;
                peerByMac.put(peerMac, peer);
                peer++;
            }
            peerByNode.put(route.getKey().intValue(), (int)peerByMac.get(peerMac));
        }
        this.configuredPeers = peer;
        this.nextLearned = peer;
    }

    public int capacity()
    {
        return peerMacs.length;
    }

    /** @return the node's peer number, or {@link Medium#NO_ROUTE}. */
    public int resolve(final int nodeId)
    {
        return peerByNode.get(nodeId);
    }

    /** @return the MAC of a peer number, in the low 48 bits, or {@link #NO_MAC} if the number is free or invalid. */
    public long macOf(final int peer)
    {
        return peer >= 0 && peer < peerMacs.length ? peerMacs[peer] : NO_MAC;
    }

    /** @return the MAC of a peer number, or null if the number is free. */
    public MacAddress peerMac(final int peer)
    {
        final long mac = macOf(peer);
        return mac != NO_MAC ? new MacAddress(mac) : null;
    }

    /** @return the peer number of a MAC, or {@link Medium#NO_ROUTE} if it has none (yet). */
    public int peerIfKnown(final long mac)
    {
        return (int)peerByMac.get(mac);
    }

    /** @return the peer number of a frame's source MAC, learning it if new. */
    public int peerFor(final long sourceMac)
    {
        final int known = peerIfKnown(sourceMac);
        if (known != Medium.NO_ROUTE)
        {
            return known;
        }
        if (nextLearned == peerMacs.length)
        {
            nextLearned = configuredPeers;
        }
        final int peer = nextLearned++;
        if (peerMacs[peer] != NO_MAC)
        {
            peerByMac.remove(peerMacs[peer]);
        }
        peerMacs[peer] = sourceMac;
        peerByMac.put(sourceMac, peer);
        return peer;
    }
}
