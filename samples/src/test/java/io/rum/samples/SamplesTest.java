package io.rum.samples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both samples, embedded, pass. */
@Timeout(120)
class SamplesTest
{
    @Test
    void memtestPassesEveryFunction()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int code = MemTest.run(new String[0], new PrintStream(bytes, true, StandardCharsets.UTF_8));
        final String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(output);
        assertEquals(0, code, output);
        assertFalse(output.contains("FAIL"), output);
        for (final String function : new String[] {"init", "alloc", "calloc", "realloc", "free", "flush", "allocNamed",
            "attachNamed", "putLong/getLong", "copyFrom/copyTo MemorySegment", "close"})
        {
            assertTrue(output.contains("PASS " + function + "\n"), function + " in\n" + output);
        }
        assertTrue(output.contains(" 0 failed"), output);
    }

    @Test
    void hashtablePasses()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int code = HashTable.run(new String[] {"--entries", "30000"},
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
        final String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(output);
        assertEquals(0, code, output);
        assertTrue(output.contains("PASS hashtable: 30000 entries verified"), output);
    }

    @Test
    void usageMistakesExitTwo()
    {
        final PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, MemTest.run(new String[] {"--bogus"}, sink));
        assertEquals(2, HashTable.run(new String[] {"--entries", "x"}, sink));
    }
}
