package io.rum.net.medium;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The in-process switch: attachment rules, loss to detached nodes, and a full ring as back-pressure.
 */
class InProcessNetworkTest
{
    private static final int MAX_FRAME = 1024;
    private static final int RING = 16 * 1024;

    private final InProcessNetwork network = new InProcessNetwork(MAX_FRAME, RING);
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[MAX_FRAME + 1]);
    private final List<long[]> received = new ArrayList<>();
    private final FrameHandler recorder = (peer, buffer, offset, length) ->
        received.add(new long[]{peer, length, length >= 8 ? buffer.getLong(offset) : -1});

    private int send(final InProcessMedium from, final int to, final long tag, final int length)
    {
        frame.putLong(0, tag);
        return from.send(to, frame, 0, length);
    }

    @Test
    void framesGoToTheTargetWithTheSenderAsPeer()
    {
        final InProcessMedium a = network.attach(1);
        final InProcessMedium b = network.attach(2);
        assertEquals(2, a.resolve(2));
        assertEquals(Medium.NO_ROUTE, a.resolve(0));
        assertEquals(MAX_FRAME, a.maxFrameLength());
        assertEquals(Medium.SENT, send(a, 2, 42, 100));
        assertEquals(Medium.SENT, send(a, 2, 43, MAX_FRAME));
        assertEquals(0, a.poll(recorder, 10), "nothing for a");
        assertEquals(2, b.poll(recorder, 10));
        assertEquals(1, received.get(0)[0], "peer is the sender's node id");
        assertEquals(100, received.get(0)[1]);
        assertEquals(42, received.get(0)[2]);
        assertEquals(43, received.get(1)[2]);
        assertEquals(Medium.FAILED, send(a, 2, 44, MAX_FRAME + 1), "larger than maxFrameLength");
    }

    @Test
    void attachingTheSameIdTwiceThrows()
    {
        final InProcessMedium first = network.attach(5);
        assertThrows(IllegalStateException.class, () -> network.attach(5));
        first.close();
        first.close();
        final InProcessMedium again = network.attach(5);
        assertTrue(again.name().contains("5"), again.name());
        again.close();
    }

    @Test
    void nodeIdsAndSizesAreChecked()
    {
        assertThrows(IllegalArgumentException.class, () -> network.attach(0));
        assertThrows(IllegalArgumentException.class, () -> network.attach(-1));
        assertThrows(IllegalArgumentException.class, () -> network.attach(InProcessNetwork.MAX_NODE_ID + 1));
        network.attach(InProcessNetwork.MAX_NODE_ID).close();
        assertThrows(IllegalArgumentException.class, () -> new InProcessNetwork(1024, 3 * 8192));
        assertThrows(IllegalArgumentException.class, () -> new InProcessNetwork(RING / 8, RING), "frame too big for ring");
        assertThrows(IllegalArgumentException.class, () -> new InProcessNetwork(0, RING));
    }

    @Test
    void sendToADetachedOrUnknownNodeIsSilentlyLost()
    {
        final InProcessMedium a = network.attach(1);
        assertEquals(Medium.SENT, send(a, 3, 1, 64), "never attached");
        assertEquals(Medium.SENT, send(a, 70_000, 1, 64), "beyond the id range");
        final InProcessMedium b = network.attach(2);
        b.close();
        assertEquals(Medium.SENT, send(a, 2, 2, 64), "detached");
        final InProcessMedium b2 = network.attach(2);
        assertEquals(0, b2.poll(recorder, 10), "what was sent while detached is gone");
        assertEquals(Medium.SENT, send(a, 2, 3, 64));
        assertEquals(1, b2.poll(recorder, 10));
        assertEquals(3, received.getFirst()[2]);
    }

    @Test
    void fullRingIsBackPressureUntilDrained()
    {
        final InProcessMedium a = network.attach(1);
        final InProcessMedium b = network.attach(2);
        int accepted = 0;
        int result;
        while ((result = send(a, 2, accepted, 500)) == Medium.SENT)
        {
            accepted++;
            assertTrue(accepted <= RING / 500, "the ring is bounded");
        }
        assertEquals(Medium.BACK_PRESSURED, result);
        assertTrue(accepted >= RING / 512 - 1, "the ring held what fits: " + accepted);
        assertEquals(Medium.BACK_PRESSURED, send(a, 2, -1, 500), "still full");
        assertEquals(Medium.SENT, send(a, 1, -2, 500), "other rings are not affected");

        assertEquals(3, b.poll(recorder, 3), "poll takes at most its limit");
        assertEquals(Medium.SENT, send(a, 2, accepted, 500), "room again after a poll");
        int drained = 3;
        int n;
        while ((n = b.poll(recorder, 100)) > 0)
        {
            drained += n;
        }
        assertEquals(accepted + 1, drained);
        for (int i = 0; i < received.size(); i++)
        {
            assertEquals(i, received.get(i)[2], "in order, none lost");
        }
    }

    /** A frame sent in two parts arrives as the one frame they make; too long, full ring and lost as for send. */
    @Test
    void aGatheredFrameArrivesJoined()
    {
        final InProcessMedium a = network.attach(1);
        final InProcessMedium b = network.attach(2);
        assertTrue(a.gathers());
        final UnsafeBuffer head = new UnsafeBuffer(new byte[64]);
        final UnsafeBuffer payload = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(MAX_FRAME));
        for (int i = 0; i < 64; i++)
        {
            head.putByte(i, (byte)i);
        }
        for (int i = 0; i < MAX_FRAME; i++)
        {
            payload.putByte(i, (byte)(100 + i));
        }
        final byte[] got = new byte[MAX_FRAME];
        final int[] length = {-1};
        assertEquals(Medium.SENT, a.sendGathered(2, head, 8, 40, payload, 3, 500));
        assertEquals(1, b.poll((peer, buffer, offset, frameLength) ->
        {
            length[0] = frameLength;
            buffer.getBytes(offset, got, 0, frameLength);
        }, 10));
        assertEquals(540, length[0]);
        for (int i = 0; i < 40; i++)
        {
            assertEquals((byte)(8 + i), got[i], "head byte " + i);
        }
        for (int i = 0; i < 500; i++)
        {
            assertEquals((byte)(103 + i), got[40 + i], "payload byte " + i);
        }
        assertEquals(Medium.FAILED, a.sendGathered(2, head, 0, 40, payload, 0, MAX_FRAME - 39), "too long");
        assertEquals(Medium.SENT, a.sendGathered(3, head, 0, 40, payload, 0, 10), "lost, like a wire to nobody");
        int accepted = 0;
        while (a.sendGathered(2, head, 0, 40, payload, 0, 460) == Medium.SENT)
        {
            accepted++;
            assertTrue(accepted <= RING / 500, "the ring is bounded");
        }
        assertEquals(Medium.BACK_PRESSURED, a.sendGathered(2, head, 0, 40, payload, 0, 460), "full ring");
    }
}
