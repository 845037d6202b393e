package io.rum.net.reliability;

import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.Medium;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Like WireMedium, gathering and "sealing" as DpdkMedium does (the CRC left to C, here to nobody). */
final class SealWireMedium implements Medium
{
    SealWireMedium peer;
    final UnsafeBuffer box = new UnsafeBuffer(new byte[16384]);
    int boxLength = -1;
    final int nodeOfPeer;
    SealWireMedium(int nodeOfPeer) { this.nodeOfPeer = nodeOfPeer; }
    public String name() { return "sealwire"; }
    public int maxFrameLength() { return 9000; }
    public int resolve(int nodeId) { return nodeId == nodeOfPeer ? 0 : NO_ROUTE; }
    public int send(int p, DirectBuffer buffer, int offset, int length) { peer.box.putBytes(0, buffer, offset, length); peer.boxLength = length; return SENT; }
    public boolean gathers() { return true; }
    public boolean seals() { return true; }
    public int sendGathered(int p, DirectBuffer head, int ho, int hl, DirectBuffer payload, int po, int pl)
    { peer.box.putBytes(0, head, ho, hl); if (pl > 0) peer.box.putBytes(hl, payload, po, pl); peer.boxLength = hl + pl; return SENT; }
    public int sendToSeal(int p, DirectBuffer head, int ho, int hl, DirectBuffer payload, int po, int pl) { return sendGathered(p, head, ho, hl, payload, po, pl); }
    public int poll(FrameHandler handler, int limit) { if (boxLength < 0) return 0; int l = boxLength; boxLength = -1; handler.onCheckedFrame(0, box, 0, l); return 1; }
    public void close() {}
}
