package io.rum.net.transport;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Deterministic request and response contents, so a test can tell that a response belongs to its request
 * and was neither corrupted nor mixed up with another.
 *
 * <p>A request of at least 8 bytes starts with its id; the rest is a pattern derived from the id. A response
 * is: the request id (8, or -1 when the request was shorter), the CRC32 of the request (4), the request length
 * (4), then a pattern derived from the CRC, up to a length derived from the request.
 */
public final class Payloads
{
    public static final int RESPONSE_HEADER = 16;

    private Payloads()
    {
    }

    /**
     * Mostly small, sometimes large: 0 B to 4 MiB, with 0, 4 MiB and the fragment boundaries all hit.
     */
    public static int requestLength(final long id, final int maxLength)
    {
        final SplittableRandom random = new SplittableRandom(id * 0x9E3779B97F4A7C15L);
        final int pick = (int)(id % 1000);
        if (pick == 0)
        {
            return id % 2000 == 0 ? maxLength : 64 * 1024 + random.nextInt(Math.max(1, maxLength - 64 * 1024));
        }
        if (pick == 1)
        {
            return 0;
        }
        if (pick % 97 == 0)
        {
            return 1024 + random.nextInt(64 * 1024);
        }
        if (pick % 31 == 0)
        {
            // Around one chunk of a typical medium: exercises the one/two-fragment boundary.
            return 8128 - 4 + random.nextInt(8);
        }
        return random.nextInt(1024);
    }

    public static int responseLength(final long id, final int requestLength)
    {
        final int extra = Math.floorMod(id * 31, 97) * 13;
        return RESPONSE_HEADER + (requestLength > 100_000 ? extra : Math.min(requestLength, 4096) + extra);
    }

    public static void fillRequest(final MutableDirectBuffer buffer, final long id, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(i, pattern(id, i));
        }
        if (length >= 8)
        {
            buffer.putLong(0, id);
        }
    }

    /**
     * @return the request's id, or -1 for a request too short to carry one.
     */
    public static long requestId(final DirectBuffer buffer, final int offset, final int length)
    {
        return length >= 8 ? buffer.getLong(offset) : -1;
    }

    public static int crc(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        final CRC32 crc = new CRC32();
        crc.update(copy);
        return (int)crc.getValue();
    }

    /**
     * Server side: writes the response for a request.
     *
     * @return the response length.
     */
    public static int writeResponse(
        final DirectBuffer request, final int offset, final int length, final ResponseWriter writer)
    {
        final long id = requestId(request, offset, length);
        final int crc = crc(request, offset, length);
        final int responseLength = responseLength(id, length);
        final MutableDirectBuffer out = writer.buffer(responseLength);
        out.putLong(0, id);
        out.putInt(8, crc);
        out.putInt(12, length);
        for (int i = RESPONSE_HEADER; i < responseLength; i++)
        {
            out.putByte(i, pattern(crc, i));
        }
        writer.length(responseLength);
        return responseLength;
    }

    /**
     * Client side: checks a response against the request it answers.
     *
     * @return null if it matches, else what is wrong.
     */
    public static String checkResponse(
        final long id, final DirectBuffer request, final int requestLength, final DirectBuffer response,
        final int offset, final int length)
    {
        final long expectedId = requestLength >= 8 ? id : -1;
        final int crc = crc(request, 0, requestLength);
        if (length != responseLength(expectedId, requestLength))
        {
            return "request " + id + ": response length " + length + ", expected " +
                responseLength(expectedId, requestLength);
        }
        if (response.getLong(offset) != expectedId || response.getInt(offset + 8) != crc ||
            response.getInt(offset + 12) != requestLength)
        {
            return "request " + id + ": response header belongs to another request";
        }
        for (int i = RESPONSE_HEADER; i < length; i++)
        {
            if (response.getByte(offset + i) != pattern(crc, i))
            {
                return "request " + id + ": response byte " + i + " corrupted";
            }
        }
        return null;
    }

    /**
     * Length of stream message number {@code n} in the contract tests: mostly small, some spanning frames.
     */
    public static int streamLength(final long n)
    {
        return n % 500 == 0 ? 100_000 : n % 37 == 0 ? 20_000 : (int)(n % 300);
    }

    private static byte pattern(final long seed, final int index)
    {
        return (byte)((seed * 31 + index * 0x5bd1e995L) >>> 7);
    }
}
