package io.rum.net.reliability;

import io.rum.net.frame.FragmentFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fragment bookkeeping under the RPC layer: {@link OutboundTransfer} (what the sender may send and what
 * was acknowledged), {@link InboundTransfer} (reassembly, what to acknowledge, memory budget) and
 * {@link RttEstimator}. Randomised checks use fixed seeds that are in every failure message.
 */
class TransfersTest
{
    private static final int CHUNK = 10;

    private static UnsafeBuffer message(final int length)
    {
        final UnsafeBuffer data = new UnsafeBuffer(new byte[Math.max(1, length)]);
        for (int i = 0; i < length; i++)
        {
            data.putByte(i, (byte)(i * 13 + 7));
        }
        return data;
    }

    private static long bits(final int... positions)
    {
        long bits = 0;
        for (final int p : positions)
        {
            bits |= 1L << p;
        }
        return bits;
    }

    // ------------------------------------------------------------------------------------------------
    // OutboundTransfer
    // ------------------------------------------------------------------------------------------------

    @Test
    void outboundGeometry()
    {
        final OutboundTransfer out = new OutboundTransfer();
        assertFalse(out.isActive());
        assertFalse(out.isComplete());
        assertEquals(0, out.onAck(5, -1L), "an ack for an idle transfer acknowledges nothing");

        out.start(message(95), 95, CHUNK);
        assertTrue(out.isActive());
        assertEquals(10, out.fragmentCount());
        assertEquals(95, out.messageLength());
        assertEquals(CHUNK, out.chunkLength());
        assertEquals(90, out.fragmentOffset(9));
        assertEquals(CHUNK, out.fragmentLength(8));
        assertEquals(5, out.fragmentLength(9), "the last fragment carries the rest");

        out.start(message(0), 0, CHUNK);
        assertEquals(1, out.fragmentCount(), "a zero-length message is one fragment");
        assertEquals(0, out.fragmentLength(0));
        assertEquals(0, out.takeUnsent(1));
        assertEquals(-1, out.takeUnsent(1));
        assertEquals(1, out.onAck(1, 0));
        assertTrue(out.isComplete());

        out.clear();
        assertFalse(out.isActive());
        assertFalse(out.isComplete());
    }

    @Test
    void windowBoundsWhatIsTakenAndAcksOpenIt()
    {
        final OutboundTransfer out = new OutboundTransfer();
        out.start(message(100), 100, CHUNK);
        assertEquals(0, out.takeUnsent(3));
        assertEquals(1, out.takeUnsent(3));
        assertEquals(2, out.takeUnsent(3));
        assertEquals(-1, out.takeUnsent(3), "window of 3 from cumulative 0 is full");
        assertEquals(3, out.takeUnsent(4), "a larger window lets one more go");
        assertEquals(4, out.nextUnsent());

        assertEquals(1, out.onAck(0, bits(0)), "selective ack of fragment 1 counts it ...");
        assertEquals(0, out.cumulative(), "... does not move cumulative past missing fragment 0");
        assertEquals(-1, out.takeUnsent(4));
        assertTrue(out.isAcked(1));
        assertFalse(out.isAcked(0));

        assertEquals(1, out.onAck(1, 0), "fragment 0 acked; 1 already was");
        assertEquals(2, out.cumulative(), "cumulative runs over the selectively acked fragment");
        assertEquals(4, out.takeUnsent(4));
        assertEquals(5, out.takeUnsent(4));
        assertEquals(-1, out.takeUnsent(4));
        assertFalse(out.allSent());
    }

    @Test
    void selectiveBitsAreRelativeToTheAcksCumulative()
    {
        final OutboundTransfer out = new OutboundTransfer();
        out.start(message(1000), 1000, CHUNK);
        while (out.takeUnsent(64) >= 0)
        {
            // take the whole window
        }
        // Fragments [0, 3) and 3 + 1 + {0, 2, 63} = 4, 6, 67; 67 was never sent (past the window), so it is not
        // believed.
        assertEquals(3 + 2, out.onAck(3, bits(0, 2, 63)));
        for (final int i : new int[]{0, 1, 2, 4, 6})
        {
            assertTrue(out.isAcked(i), "fragment " + i);
        }
        for (final int i : new int[]{3, 5, 7, 66, 67, 68})
        {
            assertFalse(out.isAcked(i), "fragment " + i);
        }
        assertEquals(3, out.cumulative());
        assertEquals(0, out.onAck(3, bits(0, 2, 63)), "the same ack again acknowledges nothing new");
        assertEquals(0, out.onAck(1, 0), "an older cumulative ack acknowledges nothing new");
        assertEquals(3, out.onAck(6, bits(0)), "3 and 5 new, 4 held already; 7 (= 6 + 1 + 0) new");
    }

    @Test
    void selectiveBitsPastTheLastFragmentAreIgnored()
    {
        final OutboundTransfer out = new OutboundTransfer();
        out.start(message(30), 30, CHUNK);
        sendAll(out);
        assertEquals(2, out.onAck(0, -1L), "only fragments 1 and 2 exist after cumulative 0 ...");
        assertEquals(1, out.ackAll(), "... so only 0 is left for ackAll");
    }

    @Test
    void hugeCumulativeNeitherOverflowsNorOveracks()
    {
        final OutboundTransfer out = new OutboundTransfer();
        out.start(message(30), 30, CHUNK);
        assertEquals(0, out.onAck(Integer.MAX_VALUE, -1L), "nothing was sent, so nothing can be acknowledged");
        sendAll(out);
        assertEquals(3, out.onAck(Integer.MAX_VALUE, -1L));
        assertTrue(out.isComplete());
        assertEquals(3, out.cumulative());
    }

    @Test
    void ackAllCompletesAndCountsOnlyWhatWasOutstanding()
    {
        final OutboundTransfer out = new OutboundTransfer();
        out.start(message(200), 200, CHUNK);
        for (int i = 0; i < 5; i++)
        {
            out.takeUnsent(64);
        }
        assertEquals(2, out.onAck(0, bits(1, 3)));
        assertEquals(3, out.ackAll(), "fragments 0, 1 and 3 were sent and unacknowledged; the unsent return no credit");
        assertTrue(out.isComplete());
        assertTrue(out.allSent(), "nothing left to send once everything is acknowledged");
        assertEquals(-1, out.takeUnsent(64));
        assertEquals(0, out.ackAll(), "ackAll twice counts nothing the second time");
    }

    @Test
    void restartClearsTheBitmapIncludingBeyondTheFirstWord()
    {
        final OutboundTransfer out = new OutboundTransfer();
        out.start(message(2000), 2000, CHUNK);
        sendAll(out);
        assertEquals(200, out.ackAll());
        out.start(message(2000), 2000, CHUNK);
        assertFalse(out.isComplete());
        for (int i = 0; i < 200; i++)
        {
            assertFalse(out.isAcked(i), "fragment " + i + " of a new message");
        }
        sendAll(out);
        assertEquals(200, out.ackAll());
    }

    /**
     * Random acks against a model: the sum of newly acknowledged fragments equals the number of distinct
     * fragments acknowledged, however often acks repeat, overlap or go back.
     */
    @Test
    void newlyAckedNeverDoubleCounts()
    {
        for (long seed = 1; seed <= 200; seed++)
        {
            final SplittableRandom random = new SplittableRandom(seed);
            final int length = random.nextInt(3000);
            final int count = FragmentFlyweight.fragmentCount(length, CHUNK);
            final OutboundTransfer out = new OutboundTransfer();
            out.start(message(length), length, CHUNK);
            final BitSet model = new BitSet(count);
            long newly = 0;
            for (int step = 0; step < 50; step++)
            {
                final int window = 1 + random.nextInt(64);
                while (random.nextInt(4) != 0 && out.takeUnsent(window) >= 0)
                {
                    assertTrue(out.nextUnsent() <= Math.min(count, out.cumulative() + window), "seed " + seed);
                }
                final int cumulative = random.nextInt(count + 3);
                final long sack = random.nextLong();
                newly += out.onAck(cumulative, sack);
                final int sent = out.nextUnsent();
                model.set(0, Math.min(cumulative, sent));
                for (int bit = 0; bit < 64; bit++)
                {
                    final long index = (long)cumulative + 1 + bit;
                    if ((sack & (1L << bit)) != 0 && index < sent)
                    {
                        model.set((int)index);
                    }
                }
                assertEquals(model.cardinality(), newly, "seed " + seed + " step " + step);
                assertEquals(model.nextClearBit(0), Math.min(out.cumulative(), count), "seed " + seed);
                assertTrue(out.nextUnsent() >= out.cumulative(), "seed " + seed);
                for (int i = 0; i < count; i++)
                {
                    assertEquals(model.get(i), out.isAcked(i), "seed " + seed + " fragment " + i);
                }
            }
            sendAll(out);
            newly += out.ackAll();
            assertEquals(count, newly, "seed " + seed);
            assertTrue(out.isComplete(), "seed " + seed);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // InboundTransfer
    // ------------------------------------------------------------------------------------------------

    private static int accept(final InboundTransfer in, final int length, final UnsafeBuffer data, final int index)
    {
        final int offset = index * CHUNK;
        return in.accept(length, CHUNK, index, data, offset, Math.min(CHUNK, length - offset));
    }

    @Test
    void acceptNewDuplicateMismatch()
    {
        final ReassemblyBudget budget = new ReassemblyBudget(1000);
        final InboundTransfer in = new InboundTransfer(1 << 20);
        assertFalse(in.isStarted());
        assertTrue(in.start(95, CHUNK, budget));
        assertTrue(in.isStarted());
        assertEquals(10, in.fragmentCount());
        final UnsafeBuffer data = message(95);
        assertEquals(InboundTransfer.NEW, accept(in, 95, data, 3));
        assertEquals(InboundTransfer.DUPLICATE, accept(in, 95, data, 3));
        assertEquals(InboundTransfer.MISMATCH, in.accept(96, CHUNK, 4, data, 40, CHUNK), "other message length");
        assertEquals(InboundTransfer.MISMATCH, in.accept(95, CHUNK + 1, 4, data, 40, CHUNK), "other chunk length");
        assertFalse(in.isComplete());
        assertEquals(0, in.cumulative());
        assertEquals(bits(2), in.selectiveBits(), "fragment 3 is bit 3 - 0 - 1");
    }

    @Test
    void cumulativeAndSelectiveBits()
    {
        final int length = 100 * CHUNK;
        final ReassemblyBudget budget = new ReassemblyBudget(length);
        final InboundTransfer in = new InboundTransfer(0);
        assertTrue(in.start(length, CHUNK, budget));
        final UnsafeBuffer data = message(length);
        for (final int i : new int[]{0, 1, 3, 5, 66, 67, 99})
        {
            accept(in, length, data, i);
        }
        assertEquals(2, in.cumulative());
        // 3, 5, 66 -> bits 0, 2, 63; 67 and 99 lie beyond the 64 bits after cumulative.
        assertEquals(bits(0, 2, 63), in.selectiveBits());
        accept(in, length, data, 2);
        assertEquals(4, in.cumulative());
        assertEquals(bits(0, 61, 62), in.selectiveBits(), "5, 66, 67 relative to cumulative 4");
    }

    @Test
    void reassemblyInRandomOrderEqualsTheOriginal()
    {
        for (long seed = 1; seed <= 100; seed++)
        {
            final Random random = new Random(seed);
            final int length = random.nextInt(2000);
            final int count = FragmentFlyweight.fragmentCount(length, CHUNK);
            final UnsafeBuffer data = message(length);
            final ReassemblyBudget budget = new ReassemblyBudget(length);
            final InboundTransfer in = new InboundTransfer(64);
            assertTrue(in.start(length, CHUNK, budget), "seed " + seed);
            final List<Integer> order = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                order.add(i);
                if (random.nextInt(4) == 0)
                {
                    order.add(i);
                }
            }
            Collections.shuffle(order, random);
            int fresh = 0;
            for (final int index : order)
            {
                assertFalse(in.isComplete(), "seed " + seed);
                final int result = accept(in, length, data, index);
                fresh += result == InboundTransfer.NEW ? 1 : 0;
                if (fresh == count)
                {
                    break;
                }
            }
            assertTrue(in.isComplete(), "seed " + seed);
            assertEquals(count, in.cumulative(), "seed " + seed);
            assertEquals(0, in.selectiveBits(), "seed " + seed);
            assertEquals(length, in.messageLength());
            final byte[] expected = new byte[length];
            final byte[] actual = new byte[length];
            data.getBytes(0, expected);
            in.buffer().getBytes(0, actual);
            assertArrayEquals(expected, actual, "seed " + seed);
            assertEquals(length, in.buffer().capacity(), "the view is exactly the message");
            in.reset(budget);
            assertEquals(0, budget.usedBytes(), "seed " + seed);
        }
    }

    @Test
    void zeroLengthMessageIsOneEmptyFragment()
    {
        final ReassemblyBudget budget = new ReassemblyBudget(0);
        final InboundTransfer in = new InboundTransfer(0);
        assertTrue(in.start(0, CHUNK, budget), "needs no budget");
        assertEquals(1, in.fragmentCount());
        assertFalse(in.isComplete());
        assertEquals(InboundTransfer.NEW, in.accept(0, CHUNK, 0, message(0), 0, 0));
        assertTrue(in.isComplete());
        assertEquals(0, in.messageLength());
        assertEquals(0, in.buffer().capacity());
        assertEquals(InboundTransfer.DUPLICATE, in.accept(0, CHUNK, 0, message(0), 0, 0));
    }

    @Test
    void budgetIsReservedAtStartAndGivenBackOnce()
    {
        final ReassemblyBudget budget = new ReassemblyBudget(250);
        final InboundTransfer a = new InboundTransfer(1 << 20);
        final InboundTransfer b = new InboundTransfer(1 << 20);
        final InboundTransfer c = new InboundTransfer(1 << 20);
        assertTrue(a.start(100, CHUNK, budget));
        assertTrue(b.start(150, CHUNK, budget));
        assertEquals(250, budget.usedBytes());
        assertFalse(c.start(1, CHUNK, budget), "budget exhausted");
        assertFalse(c.isStarted(), "a refused start leaves the transfer idle");
        assertEquals(250, budget.usedBytes());

        a.reset(budget);
        assertFalse(a.isStarted());
        assertEquals(150, budget.usedBytes());
        a.reset(budget);
        assertEquals(150, budget.usedBytes(), "reset twice gives back once");
        assertTrue(c.start(100, CHUNK, budget));

        // releaseBudget gives the bytes back but keeps the message readable for the caller.
        final UnsafeBuffer data = message(150);
        for (int i = 0; i < 15; i++)
        {
            accept(b, 150, data, i);
        }
        assertTrue(b.isComplete());
        b.releaseBudget(budget);
        assertEquals(100, budget.usedBytes());
        assertTrue(b.isComplete());
        assertEquals(data.getByte(149), b.buffer().getByte(149));
        b.releaseBudget(budget);
        b.reset(budget);
        assertEquals(100, budget.usedBytes(), "release then reset gives back once");
        c.reset(budget);
        assertEquals(0, budget.usedBytes());
    }

    @Test
    void resetDropsLargeStorageAndTheTransferIsReusable()
    {
        final ReassemblyBudget budget = new ReassemblyBudget(1 << 20);
        final InboundTransfer in = new InboundTransfer(100);
        assertTrue(in.start(5000, CHUNK, budget));
        final UnsafeBuffer big = message(5000);
        for (int i = 0; i < 500; i++)
        {
            accept(in, 5000, big, i);
        }
        assertTrue(in.isComplete());
        in.reset(budget);
        assertEquals(0, in.buffer().capacity(), "storage over retainBytes is dropped");
        assertTrue(in.start(50, CHUNK, budget));
        assertFalse(in.isComplete(), "a new message starts with nothing held");
        assertEquals(0, in.cumulative());
        final UnsafeBuffer small = message(50);
        for (int i = 4; i >= 0; i--)
        {
            assertEquals(InboundTransfer.NEW, accept(in, 50, small, i));
        }
        assertTrue(in.isComplete());
        assertEquals(small.getByte(49), in.buffer().getByte(49));
        in.reset(budget);
        assertEquals(0, budget.usedBytes());
    }

    // ------------------------------------------------------------------------------------------------
    // RttEstimator
    // ------------------------------------------------------------------------------------------------

    @Test
    void rtoStartsAtTheInitialValueAndIsClamped()
    {
        final RttEstimator rtt = new RttEstimator(1_000, 200, 100_000);
        assertEquals(1_000, rtt.rtoNs());
        assertEquals(0, rtt.srttNs());
        rtt.onSample(10);
        assertEquals(10, rtt.srttNs());
        assertEquals(200, rtt.rtoNs(), "10 + 4 * 5 clamps up to the minimum");
        for (int i = 0; i < 10; i++)
        {
            rtt.onSample(1_000_000);
        }
        assertEquals(100_000, rtt.rtoNs(), "clamps down to the maximum");

        final RttEstimator steady = new RttEstimator(1_000, 1, 1_000_000);
        steady.onSample(1_000);
        assertEquals(1_000 + 4 * 500, steady.rtoNs(), "first sample: SRTT = R, RTTVAR = R / 2");
        for (int i = 0; i < 200; i++)
        {
            steady.onSample(1_000);
        }
        assertEquals(1_000, steady.srttNs());
        assertTrue(steady.rtoNs() < 1_100, "a steady RTT drives the variance term towards zero: " + steady.rtoNs());
    }

    @Test
    void backoffDoublesUpToTheMaximum()
    {
        final RttEstimator rtt = new RttEstimator(1_000, 200, 100_000);
        long rto = rtt.rtoNs();
        final long[] expected = {2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 100_000, 100_000};
        for (final long e : expected)
        {
            rto = rtt.backoff(rto);
            assertEquals(e, rto);
        }
    }

    /**
     * BUG (minor, reported, not fixed): TransportConfig accepts any maxRtoNs, e.g. Long.MAX_VALUE for "no cap",
     * but backoff computes {@code currentRtoNs * 2} before clamping, so past 2^62 ns it overflows to a negative
     * timeout (a retransmission due in the past at every timer tick). Enable to reproduce.
     */
    @Test
    void backoffSaturatesInsteadOfOverflowing()
    {
        final RttEstimator rtt = new RttEstimator(1_000, 1, Long.MAX_VALUE);
        final long big = Long.MAX_VALUE / 2 + 1;
        assertEquals(Long.MAX_VALUE, rtt.backoff(big));
    }

    private static void sendAll(final OutboundTransfer out)
    {
        while (out.takeUnsent(Integer.MAX_VALUE) >= 0)
        {
            // marks every fragment sent
        }
    }
}
