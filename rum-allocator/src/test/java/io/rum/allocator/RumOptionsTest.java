package io.rum.allocator;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RumOptionsTest
{
    @Test
    void defaultsAndValidation()
    {
        final RumOptions defaults = RumOptions.defaults();
        assertEquals(16 * 1024, defaults.pageSizeBytes());
        assertEquals(64L << 20, defaults.localBudgetBytes());
        assertEquals(4096, defaults.frameCount());
        assertThrows(IllegalArgumentException.class, () -> defaults.withPageSizeBytes(5000));
        assertThrows(IllegalArgumentException.class, () -> defaults.withPageSizeBytes(2048));
        assertThrows(IllegalArgumentException.class, () -> defaults.withLocalBudgetBytes(7L * 16 * 1024));
        assertThrows(IllegalArgumentException.class, () -> defaults.withLocalBudgetBytes(2L << 30));
        assertThrows(IllegalArgumentException.class, () -> defaults.withPrefetchPages(-1));
        assertThrows(IllegalArgumentException.class, () -> defaults.withPartitionCount(1000));
        assertThrows(IllegalArgumentException.class, () -> defaults.withCallTimeoutNs(0));
        assertEquals(16, defaults.withPageSizeBytes(1 << 20).maxRunPages(), "runs stay within 16 MiB");
    }

    @Test
    void buffersCopyBetweenSegmentsAndEveryKindOfBuffer()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = arena.allocate(64);
            for (int i = 0; i < 64; i++)
            {
                segment.set(ValueLayout.JAVA_BYTE, i, (byte)i);
            }
            final UnsafeBuffer[] buffers = {
                new UnsafeBuffer(new byte[100], 10, 80),
                new UnsafeBuffer(ByteBuffer.allocateDirect(100), 10, 80),
                new UnsafeBuffer(arena.allocate(80).address(), 80)};
            for (final UnsafeBuffer buffer : buffers)
            {
                Buffers.copy(segment, 4, buffer, 3, 50);
                for (int i = 0; i < 50; i++)
                {
                    assertEquals(i + 4, buffer.getByte(3 + i));
                }
                final MemorySegment back = arena.allocate(64);
                Buffers.copy(buffer, 3, back, 1, 50);
                for (int i = 0; i < 50; i++)
                {
                    assertEquals(i + 4, back.get(ValueLayout.JAVA_BYTE, 1 + i));
                }
                assertThrows(IndexOutOfBoundsException.class, () -> Buffers.copy(segment, 0, buffer, 70, 20));
            }
        }
    }
}
