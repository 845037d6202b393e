package io.rum.net.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class CpuAffinityTest
{
    /** The kernel's own view of a thread's CPUs: /proc/thread-self/status, read by that thread. */
    private static String allowedListOfThisThread() throws IOException
    {
        return Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
            .filter(l -> l.startsWith("Cpus_allowed_list:"))
            .map(l -> l.substring(l.indexOf(':') + 1).strip())
            .findFirst().orElseThrow();
    }

    private static int lastAllowedCpu()
    {
        for (int cpu = CpuAffinity.MAX_CPUS - 1; cpu >= 0; cpu--)
        {
            if (CpuAffinity.allowed(cpu))
            {
                return cpu;
            }
        }
        throw new AssertionError("no CPU allowed at all");
    }

    @Test
    void pinsOnlyTheCallingThread() throws Exception
    {
        final int cpu = lastAllowedCpu();
        final String before = allowedListOfThisThread();
        final AtomicReference<Object> seen = new AtomicReference<>();
        final Thread pinned = Thread.ofPlatform().name("affinity-test").start(() ->
        {
            try
            {
                CpuAffinity.pinCurrentThread(cpu);
                seen.set(allowedListOfThisThread());
            }
            catch (final Throwable ex)
            {
                seen.set(ex);
            }
        });
        pinned.join();
        assertEquals(Integer.toString(cpu), seen.get(), "the pinned thread's own CPU list");
        assertEquals(before, allowedListOfThisThread(), "other threads keep theirs");
    }

    @Test
    void refusesACpuThisProcessMayNotUseAndSaysWhich()
    {
        assertFalse(CpuAffinity.allowed(-1));
        assertFalse(CpuAffinity.allowed(CpuAffinity.MAX_CPUS));
        final int missing = lastAllowedCpu() + 1;
        assertFalse(CpuAffinity.allowed(missing));
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread t = Thread.ofPlatform().start(() ->
        {
            try
            {
                CpuAffinity.pinCurrentThread(missing);
            }
            catch (final Throwable ex)
            {
                thrown.set(ex);
            }
        });
        assertTrue(join(t));
        assertTrue(thrown.get() instanceof IllegalArgumentException, String.valueOf(thrown.get()));
        assertTrue(thrown.get().getMessage().contains("CPU " + missing), thrown.get().getMessage());
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pinCurrentThread(-1));
    }

    private static boolean join(final Thread t)
    {
        try
        {
            t.join();
            return true;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
