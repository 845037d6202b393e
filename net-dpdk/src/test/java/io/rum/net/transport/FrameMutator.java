package io.rum.net.transport;

import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameHeaderFlyweight;
import io.rum.net.frame.FrameType;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.SplittableRandom;

/**
 * Produces hostile frames: pure noise, valid frames of every type with fields set to random or extreme values
 * (with a correct CRC, so they get past the checksum), and valid frames with bytes flipped afterwards.
 */
public final class FrameMutator
{
    private FrameMutator()
    {
    }

    /**
     * Writes one hostile frame for {@code targetNode} into {@code bytes}.
     *
     * @return its length.
     */
    public static int next(
        final SplittableRandom random, final byte[] bytes, final int maxLength, final int targetNode,
        final int[] sourceNodes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final int kind = random.nextInt(4);
        if (kind == 0)
        {
            final int length = random.nextInt(maxLength + 1);
            for (int i = 0; i < length; i++)
            {
                bytes[i] = (byte)random.nextInt();
            }
            return length;
        }
        final int type = random.nextInt(FrameType.MAX_TYPE + 2);
        final int fixed = Math.max(FrameHeaderFlyweight.HEADER_LENGTH, FrameType.fixedLength(Math.max(1, type)));
        final int length = Math.min(maxLength, fixed + (FrameType.hasPayload(type) ? random.nextInt(2048) : 0));
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)random.nextInt();
        }
        final FrameHeaderFlyweight header = new FrameHeaderFlyweight().wrap(buffer, 0);
        header.writeHeader(type, length, sourceNodes[random.nextInt(sourceNodes.length)], random.nextInt(8) == 0 ? 99 : targetNode,
            pick(random), pick(random));
        if (FrameType.hasPayload(type) && type != FrameType.STREAM_DATA && random.nextBoolean())
        {
            // A plausible fragment header with extreme values.
            final FragmentFlyweight fragment = (FragmentFlyweight)new FragmentFlyweight().wrap(buffer, 0);
            fragment.writeBody(random.nextInt(40), extreme(random), extreme(random), extreme(random), pick(random));
        }
        header.seal();
        if (kind == 3)
        {
            final int flips = 1 + random.nextInt(4);
            for (int i = 0; i < flips; i++)
            {
                bytes[random.nextInt(length)] ^= (byte)(1 << random.nextInt(8));
            }
        }
        return length;
    }

    private static long pick(final SplittableRandom random)
    {
        return switch (random.nextInt(4))
        {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            case 2 -> -1;
            default -> random.nextLong();
        };
    }

    private static int extreme(final SplittableRandom random)
    {
        return switch (random.nextInt(5))
        {
            case 0 -> 0;
            case 1 -> Integer.MAX_VALUE;
            case 2 -> -1;
            case 3 -> random.nextInt(100_000_000);
            default -> random.nextInt(10_000);
        };
    }
}
