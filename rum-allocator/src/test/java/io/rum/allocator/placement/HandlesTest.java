package io.rum.allocator.placement;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Handle layout: every field round-trips, handles stay positive, and a handle names its slave. */
class HandlesTest
{
    @Property(tries = 1000)
    void fieldsRoundTrip(
        @ForAll @IntRange(min = 1, max = 65535) final int nodeId,
        @ForAll @IntRange(min = 0, max = 65535) final int generation,
        @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) final int slot)
    {
        final long handle = Handles.handle(nodeId, generation, slot);
        assertEquals(nodeId, Handles.nodeId(handle));
        assertEquals(generation, Handles.generation(handle));
        assertEquals(slot, Handles.slot(handle));
        assertTrue(handle > 0);
        assertTrue(Handles.isWellFormed(handle));
    }

    @Test
    void extremesKeepTheSignBitClear()
    {
        final long max = Handles.handle(65535, 65535, Integer.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, max);
        assertEquals(1L << 47, Handles.handle(1, 0, 0));
        assertEquals("65535:65535:2147483647", Handles.toString(max));
        assertFalse(Handles.isWellFormed(Handles.NULL));
        assertFalse(Handles.isWellFormed(-1));
        assertFalse(Handles.isWellFormed(12345));
    }

    @Test
    void outOfRangeFieldsAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> Handles.handle(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Handles.handle(65536, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Handles.handle(1, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> Handles.handle(1, 65536, 0));
        assertThrows(IllegalArgumentException.class, () -> Handles.handle(1, 0, -1));
    }

    @Test
    void generationsWrapAndTellReusedSlotsApart()
    {
        assertEquals(0, Handles.nextGeneration(65535));
        assertEquals(8, Handles.nextGeneration(7));
        final long old = Handles.handle(4, 7, 99);
        final long reused = Handles.handle(4, Handles.nextGeneration(7), 99);
        assertNotEquals(old, reused);
        assertEquals(Handles.slot(old), Handles.slot(reused));
    }

    /**
     * Explicit placement: a region allocated on a chosen slave is routed by its handle, whichever slave
     * the partition table would have picked for it.
     */
    @Test
    void anExplicitlyPlacedRegionIsRoutedByItsHandleNotByHashing()
    {
        final PartitionTable table = PartitionTable.build(
            List.of(new Member(1, 1), new Member(2, 1), new Member(3, 1)), 1024, 3);
        for (int partition = 0; partition < table.partitionCount(); partition++)
        {
            final int notPrimary = table.replicas(partition, 3)[2];
            final long handle = Handles.handle(notPrimary, 0, partition);
            assertNotEquals(table.primary(partition), Handles.nodeId(handle));
            assertEquals(notPrimary, Handles.nodeId(handle));
        }
    }
}
