package io.rum.allocator.offheap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The class table: the right class for every size, and slabs that waste little. */
class SizeClassesTest
{
    private final SizeClasses classes = new SizeClasses(AllocatorConfiguration.ofBudget(64L << 20));

    @Test
    void classesArePowersOfTwoAndTheHalvesBetween()
    {
        assertEquals(256 << 10, classes.maxSmallBytes());
        assertEquals(29, classes.count());
        final int[] first = {16, 24, 32, 48, 64, 96, 128, 192, 256};
        for (int c = 0; c < first.length; c++)
        {
            assertEquals(first[c], classes.blockBytes(c));
        }
        assertEquals(192 << 10, classes.blockBytes(27));
        assertEquals(256 << 10, classes.blockBytes(28));
    }

    @Test
    void everySizeGetsTheSmallestClassThatHoldsIt()
    {
        int expected = 0;
        for (int size = 1; size <= classes.maxSmallBytes(); size++)
        {
            if (size > classes.blockBytes(expected))
            {
                expected++;
            }
            assertEquals(expected, classes.classOf(size), "size " + size);
        }
    }

    @Test
    void slabsHoldAtLeastEightBlocksAndWasteAtMostAnEighth()
    {
        for (int c = 0; c < classes.count(); c++)
        {
            final long slabBytes = (long)classes.slabPages(c) * AllocatorConfiguration.DEFAULT_PAGE_SIZE_BYTES;
            assertTrue(classes.blocksPerSlab(c) >= SizeClasses.MIN_BLOCKS_PER_SLAB);
            assertTrue(slabBytes - (long)classes.blocksPerSlab(c) * classes.blockBytes(c) <= slabBytes / 8);
            assertTrue(classes.slabPages(c) <= 64);
        }
    }

    @Test
    void smallChunksCapTheSmallClasses()
    {
        final SizeClasses small = new SizeClasses(new AllocatorConfiguration(1 << 20, 128 << 10, 4096));
        assertEquals(16 << 10, small.maxSmallBytes());
        assertEquals(16 << 10, small.blockBytes(small.count() - 1));
    }
}
