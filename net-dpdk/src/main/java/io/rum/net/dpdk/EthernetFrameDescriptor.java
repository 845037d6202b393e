package io.rum.net.dpdk;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * How {@link DpdkMedium} puts a RUM frame on Ethernet.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                    Destination MAC (48) ...                   |  0
 * +-------------------------------+-------------------------------+
 * |              ...              |      Source MAC (48) ...      |  4
 * +-------------------------------+-------------------------------+
 * |                              ...                              |  8
 * +-------------------------------+-------------------------------+
 * |       EtherType 0x88B5        |         RUM frame length      | 12
 * +-------------------------------+-------------------------------+
 * |                     RUM frame (little-endian)               ...| 16
 * </pre>
 *
 * <p>The Ethernet fields are in network byte order (big-endian), like every Ethernet header; the RUM frame
 * after them keeps its own little-endian layout. EtherType 0x88B5 is IEEE 802 "local experimental 1":
 * reserved for exactly this, never assigned to a real protocol, so no host stack claims these frames.
 *
 * <p>The length field is ours, not Ethernet's: a real NIC pads frames shorter than 60 bytes with zeros and
 * the receiver cannot tell padding from frame, while RUM's validator insists the delivered length equal the
 * frame length. Two bytes also make the header 16 bytes long, so the RUM frame starts 8-byte aligned in the
 * receive buffer. A frame whose length field exceeds what arrived is a runt and is dropped.
 *
 * <p>Why raw Ethernet and not UDP/IPv4: no IP or UDP header to build or check (28 bytes and a checksum per
 * frame), no ARP, and memif has no IP stack anyway. The price: frames reach only hosts on the same L2
 * segment (same switch or VLAN, or a veth pair); a routed network needs a UDP/IPv4 encapsulation, a later
 * option of the same medium.
 */
public final class EthernetFrameDescriptor
{
    public static final int DST_MAC_OFFSET = 0;
    public static final int SRC_MAC_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int LENGTH_OFFSET = 14;
    public static final int HEADER_LENGTH = 16;
    public static final int ETHER_TYPE = 0x88B5;
    public static final int MAX_PAYLOAD = 0xFFFF;
    public static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

    private EthernetFrameDescriptor()
    {
    }

    /**
     * Writes a MAC (low 48 bits of {@code mac}) at {@code index}, first octet first.
     */
    public static void putMac(final MutableDirectBuffer buffer, final int index, final long mac)
    {
        buffer.putInt(index, (int)(mac >>> 16), ORDER);
        buffer.putShort(index + 4, (short)mac, ORDER);
    }

    /**
     * @return the MAC at {@code index} in the low 48 bits.
     */
    public static long getMac(final DirectBuffer buffer, final int index)
    {
        return ((buffer.getInt(index, ORDER) & 0xFFFF_FFFFL) << 16) | (buffer.getShort(index + 4, ORDER) & 0xFFFFL);
    }

    public static int etherType(final DirectBuffer buffer, final int frameOffset)
    {
        return buffer.getShort(frameOffset + ETHER_TYPE_OFFSET, ORDER) & 0xFFFF;
    }

    public static int payloadLength(final DirectBuffer buffer, final int frameOffset)
    {
        return buffer.getShort(frameOffset + LENGTH_OFFSET, ORDER) & 0xFFFF;
    }
}
