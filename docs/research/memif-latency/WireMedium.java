package io.rum.net.reliability;

import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.Medium;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Two linked single-frame mailboxes: a medium that costs nothing, to measure the protocol alone. */
final class WireMedium implements Medium
{
    WireMedium peer;
    final UnsafeBuffer box = new UnsafeBuffer(new byte[16384]);
    int boxLength = -1;
    final int nodeOfPeer;
    WireMedium(int nodeOfPeer) { this.nodeOfPeer = nodeOfPeer; }
    public String name() { return "wire"; }
    public int maxFrameLength() { return 9000; }
    public int resolve(int nodeId) { return nodeId == nodeOfPeer ? 0 : NO_ROUTE; }
    public int send(int p, DirectBuffer buffer, int offset, int length) { peer.box.putBytes(0, buffer, offset, length); peer.boxLength = length; return SENT; }
    // GATHER=1: take frames in two parts as DPDK and in-process do (one copy of the payload fewer upstream).
    static final boolean GATHER = "1".equals(System.getenv("GATHER"));
    // SEAL=1: also "seal" as DpdkMedium does when C computes the CRC, and deliver frames as checked: no CRC in Java.
    static final boolean SEAL = "1".equals(System.getenv("SEAL"));
    public boolean gathers() { return GATHER || SEAL; }
    public boolean seals() { return SEAL; }
    public int sendToSeal(int p, DirectBuffer head, int ho, int hl, DirectBuffer payload, int po, int pl) { return sendGathered(p, head, ho, hl, payload, po, pl); }
    public int sendGathered(int p, DirectBuffer head, int ho, int hl, DirectBuffer payload, int po, int pl)
    { peer.box.putBytes(0, head, ho, hl); if (pl > 0) peer.box.putBytes(hl, payload, po, pl); peer.boxLength = hl + pl; return SENT; }
    public int poll(FrameHandler handler, int limit)
    {
        if (boxLength < 0) return 0;
        int l = boxLength; boxLength = -1;
        if (SEAL) handler.onCheckedFrame(0, box, 0, l); else handler.onFrame(0, box, 0, l);
        return 1;
    }
    public void close() {}
}
