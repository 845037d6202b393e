package io.rum.allocator.placement;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The key hash: stable across releases, equal over arrays and buffers, and well mixed. */
class KeyHashTest
{
    private static final long PINNED_EMPTY = -1046778551619474176L;
    private static final long PINNED_KEY = 748995140835902629L;
    private static final long PINNED_LONG = -3724020727144969265L;

    /**
     * A changed hash would move every key of every running cluster: these values are pinned.
     */
    @Test
    void valuesArePinned()
    {
        assertEquals(PINNED_EMPTY, KeyHash.hash(new byte[0]));
        assertEquals(PINNED_KEY, KeyHash.hash("key:0"));
        assertEquals(PINNED_LONG, KeyHash.hash("a name longer than sixteen bytes"));
    }

    @Test
    void lengthIsPartOfTheHash()
    {
        assertNotEquals(KeyHash.hash(new byte[] {'a', 'b'}), KeyHash.hash(new byte[] {'a', 'b', 0}));
        assertNotEquals(KeyHash.hash(new byte[0]), KeyHash.hash(new byte[1]));
        assertNotEquals(KeyHash.hash(new byte[8]), KeyHash.hash(new byte[16]));
    }

    @Property(tries = 300)
    void bufferAndArrayFormsAgree(
        @ForAll @Size(max = 64) final byte[] key, @ForAll @IntRange(max = 7) final int offset)
    {
        final byte[] padded = new byte[key.length + offset + 3];
        System.arraycopy(key, 0, padded, offset, key.length);
        final long expected = KeyHash.hash(key);
        assertEquals(expected, KeyHash.hash(padded, offset, key.length));
        assertEquals(expected, KeyHash.hash(new UnsafeBuffer(padded), offset, key.length));
    }

    @Test
    void flippingAnyInputBitFlipsAboutHalfTheOutputBits()
    {
        final byte[] key = "avalanche-check:0123456789".getBytes(StandardCharsets.UTF_8);
        final long base = KeyHash.hash(key);
        long flipped = 0;
        int trials = 0;
        for (int bit = 0; bit < key.length * 8; bit++)
        {
            key[bit / 8] ^= (byte)(1 << (bit % 8));
            flipped += Long.bitCount(base ^ KeyHash.hash(key));
            key[bit / 8] ^= (byte)(1 << (bit % 8));
            trials++;
        }
        final double mean = (double)flipped / trials;
        assertTrue(mean > 30 && mean < 34, "mean flipped bits " + mean);
    }
}
