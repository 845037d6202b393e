package io.rum.net.medium;

import io.rum.net.frame.FrameHeaderFlyweight;
import io.rum.net.frame.FrameType;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault decorator over a recording fake medium and a hand-driven clock: every decision is a function of
 * the seed and the calls, so each expectation below is exact.
 */
class FaultInjectingMediumTest
{
    private static final int MAX_FRAME = 256;
    private static final int FRAME = 64;
    private static final int ID_OFFSET = FrameHeaderFlyweight.HEADER_LENGTH;
    private static final int HELD_FRAMES = 256;

    /**
     * One frame handed to the fake medium.
     */
    record Sent(int peer, int src, int dst, long id)
    {
    }

    /**
     * Records sends; receives nothing.
     */
    static final class RecordingMedium implements Medium
    {
        final List<Sent> sent = new ArrayList<>();
        int polls;
        boolean closed;

        @Override
        public String name()
        {
            return "recording";
        }

        @Override
        public int maxFrameLength()
        {
            return MAX_FRAME;
        }

        @Override
        public int resolve(final int nodeId)
        {
            return nodeId + 1000;
        }

        @Override
        public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
        {
            if (length > MAX_FRAME)
            {
                return FAILED;
            }
            sent.add(new Sent(peer,
                buffer.getInt(offset + FrameHeaderFlyweight.SRC_NODE_OFFSET, FrameHeaderFlyweight.ORDER),
                buffer.getInt(offset + FrameHeaderFlyweight.DST_NODE_OFFSET, FrameHeaderFlyweight.ORDER),
                buffer.getLong(offset + ID_OFFSET, FrameHeaderFlyweight.ORDER)));
            return SENT;
        }

        @Override
        public int poll(final FrameHandler handler, final int limit)
        {
            polls++;
            return 0;
        }

        @Override
        public void close()
        {
            closed = true;
        }

        List<Long> ids()
        {
            return sent.stream().map(Sent::id).toList();
        }
    }

    /**
     * A clock that moves only when told.
     */
    static final class ManualClock implements NanoClock
    {
        long nowNs = 1_000_000;

        @Override
        public long nanoTime()
        {
            return nowNs;
        }
    }

    private final RecordingMedium recorder = new RecordingMedium();
    private final ManualClock clock = new ManualClock();
    private final FaultPlan plan = FaultPlan.none();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[MAX_FRAME + 64]);
    private final FrameHandler ignore = (peer, buffer, offset, length) -> { };

    private FaultInjectingMedium faulty(final long seed)
    {
        return new FaultInjectingMedium(recorder, plan, seed, clock);
    }

    /**
     * Sends a frame from {@code src} to {@code dst} whose body starts with {@code id}; the buffer is then
     * scribbled over, so a held frame must be a copy.
     */
    private int send(final Medium medium, final int src, final int dst, final long id)
    {
        new FrameHeaderFlyweight().wrap(frame, 0).writeHeader(FrameType.REQUEST, FRAME, src, dst, 1, 2);
        frame.putLong(ID_OFFSET, id, FrameHeaderFlyweight.ORDER);
        final int result = medium.send(dst, frame, 0, FRAME);
        frame.setMemory(0, FRAME, (byte)0xEE);
        return result;
    }

    private static List<Long> range(final long from, final long to)
    {
        final List<Long> ids = new ArrayList<>();
        for (long i = from; i < to; i++)
        {
            ids.add(i);
        }
        return ids;
    }

    @Test
    void noFaultsPassesEverythingThroughInOrder()
    {
        final FaultInjectingMedium medium = faulty(1);
        for (int i = 0; i < 100; i++)
        {
            assertEquals(Medium.SENT, send(medium, 1, 2, i));
        }
        assertEquals(range(0, 100), recorder.ids());
        assertEquals(2, recorder.sent.get(0).peer());
        assertEquals(1002, medium.resolve(2), "resolve is the delegate's");
        assertEquals(MAX_FRAME, medium.maxFrameLength());
        assertEquals(1, medium.seed());
        assertTrue(medium.name().contains("recording") && medium.name().contains("seed 1"), medium.name());
        assertEquals(0, medium.poll(ignore, 10));
        assertEquals(1, recorder.polls, "poll goes to the delegate");
        medium.close();
        assertTrue(recorder.closed);
    }

    private List<Sent> run(final long seed)
    {
        recorder.sent.clear();
        clock.nowNs = 1_000_000;
        plan.drop(0.2).duplicate(0.2).reorder(0.2).delay(0.3, 50_000);
        final FaultInjectingMedium medium = faulty(seed);
        for (int i = 0; i < 500; i++)
        {
            send(medium, 1 + i % 3, 4 + i % 2, i);
            clock.nowNs += 1_000 * (i % 7);
            if (i % 10 == 0)
            {
                medium.poll(ignore, 10);
            }
        }
        clock.nowNs += 1_000_000;
        medium.poll(ignore, 10);
        return new ArrayList<>(recorder.sent);
    }

    @Test
    void sameSeedSameDeliveries()
    {
        final List<Sent> first = run(42);
        final List<Sent> second = run(42);
        assertEquals(first, second, "seed 42 replays exactly");
        final List<Sent> other = run(43);
        assertNotEquals(first, other, "another seed makes other decisions");
        assertTrue(first.size() > 300 && first.size() < 600, "plausible for 20% loss and duplication: " + first.size());
    }

    @Test
    void dropRateOneDropsEverything()
    {
        plan.drop(1.0);
        final FaultInjectingMedium medium = faulty(7);
        for (int i = 0; i < 50; i++)
        {
            assertEquals(Medium.SENT, send(medium, 1, 2, i), "a drop looks like a send to the caller");
        }
        medium.poll(ignore, 10);
        assertEquals(List.of(), recorder.sent);
        assertEquals(50, medium.dropped());
    }

    @Test
    void duplicateRateOneDoublesEverything()
    {
        plan.duplicate(1.0);
        final FaultInjectingMedium medium = faulty(7);
        for (int i = 0; i < 50; i++)
        {
            send(medium, 1, 2, i);
        }
        final List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 50; i++)
        {
            expected.add(i);
            expected.add(i);
        }
        assertEquals(expected, recorder.ids());
        assertEquals(50, medium.duplicated());
    }

    @Test
    void reorderPutsTheHeldFrameAfterTheNextOne()
    {
        final FaultInjectingMedium medium = faulty(7);
        plan.reorder(1.0);
        send(medium, 1, 2, 100);
        assertEquals(List.of(), recorder.ids(), "held");
        plan.reorder(0.0);
        send(medium, 1, 2, 101);
        assertEquals(List.of(101L, 100L), recorder.ids());
        assertEquals(1, medium.reordered());

        plan.reorder(1.0);
        send(medium, 1, 2, 102);
        assertEquals(List.of(101L, 100L), recorder.ids());
        medium.poll(ignore, 1);
        assertEquals(List.of(101L, 100L, 102L), recorder.ids(), "a poll releases it too");
        assertEquals(2, medium.reordered());
    }

    @Test
    void delayHoldsFramesUntilDueAndPollReleasesThem()
    {
        final long maxDelayNs = 100_000;
        plan.delay(1.0, maxDelayNs);
        final FaultInjectingMedium medium = faulty(11);
        final long[] sentAt = new long[100];
        for (int i = 0; i < 100; i++)
        {
            sentAt[i] = clock.nowNs;
            send(medium, 1, 2, i);
            clock.nowNs += 100;
        }
        assertEquals(100, medium.delayed());
        // Sends release frames that fell due during the loop; none may go before it was sent.
        final int releasedBySends = recorder.sent.size();
        assertTrue(releasedBySends < 20, "almost all are still held: " + releasedBySends);

        final long[] releasedAt = new long[100];
        java.util.Arrays.fill(releasedAt, -1);
        for (int i = 0; i < releasedBySends; i++)
        {
            releasedAt[(int)recorder.sent.get(i).id()] = sentAt[(int)recorder.sent.get(i).id()];
        }
        int seen = releasedBySends;
        boolean partial = false;
        while (seen < 100)
        {
            clock.nowNs += 1_000;
            medium.poll(ignore, 1);
            for (; seen < recorder.sent.size(); seen++)
            {
                releasedAt[(int)recorder.sent.get(seen).id()] = clock.nowNs;
            }
            partial |= seen > releasedBySends && seen < 100;
            assertTrue(clock.nowNs - sentAt[99] <= maxDelayNs + 1_000, "every frame out within its maximum delay");
        }
        assertTrue(partial, "frames fall due at different times");
        for (int i = 0; i < 100; i++)
        {
            assertTrue(releasedAt[i] >= sentAt[i], "frame " + i + " released before it was sent");
            assertTrue(releasedAt[i] - sentAt[i] <= maxDelayNs + 1_000, "frame " + i + " held too long");
        }
        assertEquals(100, recorder.sent.stream().map(Sent::id).distinct().count(), "each once");
    }

    @Test
    void cutBlocksOnlyThatDirection()
    {
        final FaultInjectingMedium medium = faulty(3);
        plan.cut(1, 2);
        send(medium, 1, 2, 0);
        send(medium, 2, 1, 1);
        send(medium, 1, 3, 2);
        send(medium, 3, 2, 3);
        assertEquals(List.of(1L, 2L, 3L), recorder.ids(), "only 1 -> 2 is cut");
        assertEquals(1, medium.cut());
        assertTrue(plan.isCut(1, 2));

        plan.partition(3, 2);
        send(medium, 3, 2, 4);
        send(medium, 2, 3, 5);
        send(medium, 2, 1, 6);
        assertEquals(List.of(1L, 2L, 3L, 6L), recorder.ids(), "3 <-> 2 both ways");
        assertEquals(3, medium.cut());

        plan.heal();
        send(medium, 1, 2, 7);
        send(medium, 3, 2, 8);
        send(medium, 2, 3, 9);
        assertEquals(List.of(1L, 2L, 3L, 6L, 7L, 8L, 9L), recorder.ids(), "healed");
        assertEquals(3, medium.cut());
    }

    @Test
    void cutReadsTheHeaderNotThePeer()
    {
        final FaultInjectingMedium medium = faulty(3);
        plan.cut(1, 2);
        new FrameHeaderFlyweight().wrap(frame, 0).writeHeader(FrameType.REQUEST, FRAME, 1, 2, 1, 2);
        assertEquals(Medium.SENT, medium.send(77, frame, 0, FRAME), "peer 77, header says 1 -> 2");
        assertEquals(List.of(), recorder.sent);
        new FrameHeaderFlyweight().wrap(frame, 0).writeHeader(FrameType.REQUEST, FRAME, 1, 3, 1, 2);
        medium.send(2, frame, 0, FRAME);
        assertEquals(1, recorder.sent.size(), "peer 2, header says 1 -> 3");
        medium.send(2, frame, 0, FrameHeaderFlyweight.HEADER_LENGTH - 1);
        assertEquals(2, recorder.sent.size(), "a runt has no header to decide on and goes through");
    }

    @Test
    void reorderHoldsAtMostThePoolThenSendsAtOnce()
    {
        plan.reorder(1.0);
        final FaultInjectingMedium medium = faulty(5);
        for (int i = 0; i < HELD_FRAMES; i++)
        {
            send(medium, 1, 2, i);
        }
        assertEquals(0, recorder.sent.size(), "the pool holds " + HELD_FRAMES);
        send(medium, 1, 2, HELD_FRAMES);
        assertEquals(HELD_FRAMES + 1, recorder.sent.size(), "pool full: the frame goes at once, then the held ones");
        assertEquals(HELD_FRAMES, recorder.sent.get(0).id());
        assertEquals(range(0, HELD_FRAMES + 1),
            recorder.ids().stream().sorted().toList(), "each frame exactly once");
        assertEquals(HELD_FRAMES, medium.reordered());
    }

    @Test
    void delayedPoolIsBoundedAndOverflowGoesOutAtOnce()
    {
        plan.delay(1.0, 1_000_000_000L);
        final FaultInjectingMedium medium = faulty(5);
        int maxHeld = 0;
        for (int i = 0; i < 400; i++)
        {
            send(medium, 1, 2, i);
            maxHeld = Math.max(maxHeld, i + 1 - recorder.sent.size());
        }
        assertTrue(maxHeld <= HELD_FRAMES, "held at most " + HELD_FRAMES + ": " + maxHeld);
        assertTrue(recorder.sent.size() >= 400 - HELD_FRAMES, "the overflow went out: " + recorder.sent.size());
        clock.nowNs += 1_000_000_001L;
        medium.poll(ignore, 1);
        assertEquals(range(0, 400), recorder.ids().stream().sorted().toList(), "each frame exactly once");
    }

    @Test
    void heldFramesAreCopies()
    {
        plan.reorder(1.0);
        final FaultInjectingMedium medium = faulty(9);
        for (int i = 0; i < 10; i++)
        {
            send(medium, 1, 2, 1_000 + i);
        }
        medium.poll(ignore, 1);
        assertEquals(range(1_000, 1_010), recorder.ids().stream().sorted().toList());
        for (final Sent sent : recorder.sent)
        {
            assertEquals(1, sent.src());
            assertEquals(2, sent.dst());
            assertEquals(2, sent.peer());
        }
    }

    /**
     * The data path answers with a code, like the delegate does, also for a frame longer than the delegate's
     * maxFrameLength that the plan would hold (reorder or delay) in a pool buffer of maxFrameLength bytes.
     */
    @Test
    void oversizeFrameThatWouldBeHeldIsRefusedNotThrown()
    {
        final FaultInjectingMedium medium = faulty(1);
        new FrameHeaderFlyweight().wrap(frame, 0).writeHeader(FrameType.REQUEST, MAX_FRAME + 1, 1, 2, 1, 2);
        assertEquals(Medium.FAILED, medium.send(2, frame, 0, MAX_FRAME + 1), "passed straight through");
        plan.reorder(1.0);
        assertEquals(Medium.FAILED, medium.send(2, frame, 0, MAX_FRAME + 1), "held for reordering");
    }
}
