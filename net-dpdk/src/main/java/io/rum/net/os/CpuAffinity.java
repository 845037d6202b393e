package io.rum.net.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Pins the calling thread to one CPU: Linux {@code sched_setaffinity(0, ...)} through FFM, where thread id 0 means
 * the calling thread, so only that thread moves, never the whole JVM.
 *
 * <p>Why: DPDK deployments give each polling thread a core of its own, and so does the raw C memif baseline. Left
 * to the scheduler on a 2-CPU machine, a waiting caller and the peer's poller were measured sharing one CPU about
 * 10% of the time while the other idled (memif p90 7 µs instead of 0.96 µs, docs/BENCHMARKS.md): both are always
 * runnable and "cache hot", which the load balancer is reluctant to move.
 */
@SuppressWarnings("restricted") // two libc calls with fixed signatures; the JVM runs with --enable-native-access
public final class CpuAffinity
{
    /** Bits in the kernel's default {@code cpu_set_t} (glibc's CPU_SETSIZE). */
    public static final int MAX_CPUS = 1024;
    private static final long MASK_BYTES = MAX_CPUS / 8;
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SET_AFFINITY = lookup("sched_setaffinity");
    private static final int EINVAL = 22;
    private static final BitSet ONLINE = online();

    private CpuAffinity()
    {
    }

    private static MethodHandle lookup(final String name)
    {
        final Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find(name)
            .map(address -> linker.downcallHandle(address, FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                Linker.Option.captureCallState("errno")))
            .orElse(null);
    }

    /**
     * @return whether {@code cpu} is an online CPU of this machine (from {@code /sys/devices/system/cpu/online};
     *     any CPU below {@link #MAX_CPUS} where that cannot be read). Not whether this process's cpuset allows it:
     *     the kernel answers that when a thread is pinned, and {@link #pinCurrentThread} reports it. The calling
     *     thread's own mask is no guide (a review found it): a pinned thread would call every other CPU forbidden.
     */
    public static boolean allowed(final int cpu)
    {
        if (cpu < 0 || cpu >= MAX_CPUS)
        {
            return false;
        }
        final BitSet online = ONLINE;
        return null == online || online.get(cpu);
    }

    private static BitSet online()
    {
        try
        {
            final BitSet cpus = new BitSet();
            for (final String range : Files.readString(Path.of("/sys/devices/system/cpu/online")).strip().split(","))
            {
                final String[] ends = range.split("-");
                final int from = Integer.parseInt(ends[0].strip());
                final int to = ends.length > 1 ? Integer.parseInt(ends[1].strip()) : from;
                cpus.set(from, Math.min(to, MAX_CPUS - 1) + 1);
            }
            return cpus;
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * Pins the calling thread to {@code cpu}.
     *
     * @throws IllegalArgumentException if this process may not run there (not online, or outside its cpuset),
     *                                  naming the CPU.
     * @throws IllegalStateException    if the system call fails or does not exist on this platform.
     */
    public static void pinCurrentThread(final int cpu)
    {
        if (null == SET_AFFINITY)
        {
            throw new IllegalStateException("cannot pin threads here: no sched_setaffinity (Linux only)");
        }
        if (!allowed(cpu))
        {
            throw new IllegalArgumentException("CPU " + cpu + " is not one this process may run on (not an online CPU)");
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            mask.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            final MemorySegment state = arena.allocate(CALL_STATE);
            final int rc = (int)SET_AFFINITY.invokeExact(state, 0, MASK_BYTES, mask);
            if (rc != 0)
            {
                final int errno = (int)ERRNO.get(state, 0L);
                if (errno == EINVAL)
                {
                    throw new IllegalArgumentException("CPU " + cpu + " is not one this process may run on (its " +
                        "cpuset leaves it out)");
                }
                throw new IllegalStateException("sched_setaffinity to CPU " + cpu + " failed: errno " + errno);
            }
        }
        catch (final RuntimeException ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("sched_setaffinity to CPU " + cpu + " failed", ex);
        }
    }
}
