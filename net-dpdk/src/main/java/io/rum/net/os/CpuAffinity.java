package io.rum.net.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

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
    private static final MethodHandle GET_AFFINITY = lookup("sched_getaffinity");

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
     * @return whether this process may run on {@code cpu} (it is online and in the process's affinity mask).
     */
    public static boolean allowed(final int cpu)
    {
        if (cpu < 0 || cpu >= MAX_CPUS || null == GET_AFFINITY)
        {
            return false;
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            final MemorySegment state = arena.allocate(CALL_STATE);
            final int rc = (int)GET_AFFINITY.invokeExact(state, 0, MASK_BYTES, mask);
            return rc >= 0 && (mask.get(JAVA_LONG, (cpu / 64) * 8L) & (1L << (cpu % 64))) != 0;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("sched_getaffinity failed", ex);
        }
    }

    /**
     * Pins the calling thread to {@code cpu}.
     *
     * @throws IllegalArgumentException if this process may not run there (see {@link #allowed}), naming the CPU.
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
            throw new IllegalArgumentException("CPU " + cpu + " is not one this process may run on");
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            mask.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            final MemorySegment state = arena.allocate(CALL_STATE);
            final int rc = (int)SET_AFFINITY.invokeExact(state, 0, MASK_BYTES, mask);
            if (rc != 0)
            {
                throw new IllegalStateException("sched_setaffinity to CPU " + cpu + " failed: errno " +
                    (int)ERRNO.get(state, 0L));
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
