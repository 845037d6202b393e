package io.rum.allocator.placement;

import org.agrona.DirectBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The 64-bit hash of a key's bytes that decides its partition, and so which slave holds it.
 *
 * <p>It must be the same in every JVM, on every platform, forever (a changed hash moves every key), so
 * it is defined here over bytes, never over {@link Object#hashCode()}:
 * <pre>
 *  h = SEED ^ (length * P1)
 *  for each 8-byte little-endian word w:   h = rotl(h ^ scramble(w), 27) * P1 + P2
 *  the 0..7 remaining bytes, little-endian in the low bits of t:  h = rotl(h ^ scramble(t), 27) * P1 + P2
 *  return mix64(h)
 *
 *  scramble(w) = rotl(w * P2, 31) * P1
 *  mix64(z)    = the murmur3 64-bit finaliser: three xor-shifts by 33 and two odd multiplies
 * </pre>
 * The structure is that of the xxHash / murmur family: every input word is spread over all 64 bits
 * before it meets the state, and the finaliser makes every output bit depend on every input bit, so the
 * top bits (which pick the partition) are as good as the bottom ones. Hashing the length first tells
 * {@code "ab"} from {@code "ab\0"}. Not cryptographic: a client that wants to overload one slave can.
 */
public final class KeyHash
{
    private static final long SEED = 0x52554D2D4B455931L;
    private static final long P1 = 0x9E3779B97F4A7C15L;
    private static final long P2 = 0xD6E8FEB86659FD93L;
    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private KeyHash()
    {
    }

    /** @return the hash of all bytes of a key. */
    public static long hash(final byte[] key)
    {
        return hash(key, 0, key.length);
    }

    /** @return the hash of {@code length} bytes of an array from {@code offset}. */
    public static long hash(final byte[] key, final int offset, final int length)
    {
        long h = SEED ^ (length * P1);
        final int end = offset + length;
        int i = offset;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            h = round(h, (long)LONG_LE.get(key, i));
        }
        if (i < end)
        {
            long tail = 0;
            for (int shift = 0; i < end; i++, shift += Byte.SIZE)
            {
                tail |= (key[i] & 0xFFL) << shift;
            }
            h = round(h, tail);
        }
        return mix64(h);
    }

    /** @return the hash of {@code length} bytes of a buffer from {@code offset}; equal to the array form. */
    public static long hash(final DirectBuffer buffer, final int offset, final int length)
    {
        long h = SEED ^ (length * P1);
        final int end = offset + length;
        int i = offset;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            h = round(h, buffer.getLong(i, ByteOrder.LITTLE_ENDIAN));
        }
        if (i < end)
        {
            long tail = 0;
            for (int shift = 0; i < end; i++, shift += Byte.SIZE)
            {
                tail |= (buffer.getByte(i) & 0xFFL) << shift;
            }
            h = round(h, tail);
        }
        return mix64(h);
    }

    /** @return the hash of a name's UTF-8 bytes. */
    public static long hash(final String name)
    {
        return hash(name.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The murmur3 64-bit finaliser: a bijection on longs in which every output bit depends on every input bit.
     *
     * @param z any value.
     * @return it mixed.
     */
    public static long mix64(final long z)
    {
        long x = z;
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }

    private static long round(final long h, final long word)
    {
        return Long.rotateLeft(h ^ Long.rotateLeft(word * P2, 31) * P1, 27) * P1 + P2;
    }
}
