package io.rum.net.dpdk;

import io.rum.net.dpdk.DpdkShim.Calls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * DPDK's Environment Abstraction Layer, once per JVM.
 *
 * <p>Why the ceremony: {@code rte_eal_init} may run once per process (a second call fails with EALREADY,
 * even after {@code rte_eal_cleanup}), it pins the calling thread and every thread that thread starts later
 * to its lcore's CPUs, and its argv must stay alive. So init, every control call (ports, pools) and the
 * final cleanup run on one dedicated platform thread, {@value #THREAD_NAME}, and EAL gets
 * {@code --lcores=0@(<every CPU this process may use>)}, which maps lcore 0 to all of them: nothing is
 * pinned. The data path (rx/tx) runs on whichever thread drives the port's transport, never an EAL thread;
 * each data-path call acts as an lcore id EAL left unused, so the pool's per-lcore cache still serves it (see the
 * shim: without it every mbuf came cold from the pool's ring).
 *
 * <p>Lifetime: {@link #start} initialises EAL and returns it with one reference held by the caller;
 * {@link #retain()} adds one (each open {@link DpdkMedium} holds one), {@link #close()} drops one. When the
 * last is dropped, EAL is cleaned up and its runtime directory ({@code /var/run/dpdk/<prefix>}) deleted;
 * after that no EAL can be started in this JVM. A second {@link #start} while EAL runs retains the running
 * one and hot-plugs any virtual device it lacks.
 *
 * <p>Flags: {@code --no-huge} (no hugepages needed; memory is {@code -m} MB of ordinary pages),
 * {@code --no-pci}, {@code --no-telemetry}, a unique {@code --file-prefix}, and {@code --no-shconf} only
 * without memif: memif needs the multi-process channel that {@code --no-shconf} disables (its port never
 * appears).
 */
public final class Eal implements AutoCloseable
{
    public static final String THREAD_NAME = "rum-dpdk-eal";
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private static Eal running;
    private static String finished;

    private final List<String> arguments;
    private final String filePrefix;
    private final boolean sharedConfig;
    private final ExecutorService thread;
    private final Arena argvArena = Arena.ofShared();
    private int references = 1;
    private boolean cleanedUp;

    private Eal(final List<String> arguments, final String filePrefix, final boolean sharedConfig)
    {
        this.arguments = List.copyOf(arguments);
        this.filePrefix = filePrefix;
        this.sharedConfig = sharedConfig;
        this.thread = Executors.newSingleThreadExecutor(r ->
        {
            final Thread t = Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(r);
            return t;
        });
    }

    /**
     * Starts EAL with a port for each virtual device, or retains the running EAL and adds the devices it lacks.
     *
     * @param vdevs      {@code --vdev} arguments.
     * @param memoryMb   memory for pools ({@code -m}).
     * @param filePrefix {@code --file-prefix}, or null for {@code rum-<pid>-<n>}.
     * @return the EAL, with one reference for the caller to {@link #close()}.
     * @throws IllegalStateException if DPDK is unavailable (naming what is missing), EAL fails to start, or
     *                               EAL already ran and was cleaned up in this JVM.
     */
    public static synchronized Eal start(final List<String> vdevs, final int memoryMb, final String filePrefix)
    {
        DpdkShim.require();
        final boolean memif = vdevs.stream().anyMatch(v -> DpdkConfig.deviceName(v).startsWith("net_memif"));
        if (null != running)
        {
            if (memif && !running.sharedConfig)
            {
                throw new IllegalStateException("EAL runs with --no-shconf, which memif cannot use: start EAL " +
                    "with the memif device first");
            }
            running.retain();
            try
            {
                for (final String vdev : vdevs)
                {
                    running.ensureDevice(vdev);
                }
            }
            catch (final RuntimeException ex)
            {
                running.close();
                throw ex;
            }
            return running;
        }
        if (null != finished)
        {
            throw new IllegalStateException("EAL can be initialised once per process and was already used and " +
                "cleaned up (" + finished + "); run DPDK work in a new JVM");
        }
        final String prefix = null != filePrefix ? filePrefix :
            "rum-" + ProcessHandle.current().pid() + "-" + PREFIXES.getAndIncrement();
        final List<String> args = arguments(vdevs, memoryMb, prefix, !memif, allowedCpus());
        final Eal eal = new Eal(args, prefix, memif);
        try
        {
            eal.call(eal::init);
        }
        catch (final RuntimeException ex)
        {
            eal.thread.shutdown();
            eal.argvArena.close();
            deleteRuntimeDirectory(prefix);
            finished = "init failed: " + ex.getMessage();
            throw ex;
        }
        running = eal;
        return eal;
    }

    /**
     * @return the EAL command line for these settings (argv[0] included).
     */
    public static List<String> arguments(
        final List<String> vdevs, final int memoryMb, final String filePrefix, final boolean noSharedConfig,
        final String cpus)
    {
        final List<String> args = new ArrayList<>();
        final boolean pci = vdevs.stream().anyMatch(DpdkConfig::isPciAddress);
        args.add("rum");
        if (!Boolean.getBoolean(DpdkConfig.PROPERTY_PREFIX + "hugepages"))
        {
            args.add("--no-huge");
        }
        if (!pci)
        {
            args.add("--no-pci");
        }
        args.add("--no-telemetry");
        args.add("-m");
        args.add(Integer.toString(memoryMb));
        args.add("--file-prefix=" + filePrefix);
        args.add("--lcores=0@(" + cpus + ")");
        if (noSharedConfig)
        {
            args.add("--no-shconf");
        }
        for (final String device : vdevs)
        {
            if (DpdkConfig.isPciAddress(device))
            {
                // A real NIC, bound to vfio-pci or uio beforehand; only the listed ones are probed.
                args.add("-a");
                args.add(device);
            }
            else
            {
                args.add("--vdev=" + device);
            }
        }
        return args;
    }

    /**
     * @return the CPUs this process may run on, as a cpuset list ("0-1", "0,2-3").
     */
    static String allowedCpus()
    {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status")))
        {
            final String list = lines.filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip())
                .findFirst().orElse("");
            if (!list.isEmpty())
            {
                return list;
            }
        }
        catch (final IOException ignore)
        {
            // Not Linux as we know it: fall back to the processor count.
        }
        final int cpus = Runtime.getRuntime().availableProcessors();
        return cpus == 1 ? "0" : "0-" + (cpus - 1);
    }

    private Void init() throws Throwable
    {
        final MemorySegment argv = argvArena.allocate(ADDRESS, arguments.size() + 1L);
        for (int i = 0; i < arguments.size(); i++)
        {
            argv.setAtIndex(ADDRESS, i, argvArena.allocateFrom(arguments.get(i)));
        }
        argv.setAtIndex(ADDRESS, arguments.size(), MemorySegment.NULL);
        final int rc = (int)Calls.EAL_INIT.invokeExact(arguments.size(), argv);
        if (rc < 0)
        {
            throw new IllegalStateException("rte_eal_init failed: " + DpdkShim.lastError() + "; arguments " + arguments);
        }
        return null;
    }

    private void ensureDevice(final String vdev)
    {
        if (DpdkConfig.isPciAddress(vdev))
        {
            if (call(() -> portByName(vdev)) < 0)
            {
                throw new IllegalStateException("PCI device " + vdev + " was not probed when EAL started, and PCI " +
                    "devices cannot be added later: open the PCI port first in this JVM");
            }
            return;
        }
        final String name = DpdkConfig.deviceName(vdev);
        call(() ->
        {
            if (portByName(name) < 0)
            {
                createDevice(vdev);
            }
            return null;
        });
    }

    /**
     * Runs a control call on the EAL thread and waits for it.
     *
     * @throws IllegalStateException wrapping whatever the call threw, or if EAL is cleaned up.
     */
    <T> T call(final NativeCall<T> call)
    {
        final Future<T> future;
        try
        {
            future = thread.submit(() ->
            {
                try
                {
                    return call.call();
                }
                catch (final Exception | Error ex)
                {
                    throw ex;
                }
                catch (final Throwable ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
        }
        catch (final java.util.concurrent.RejectedExecutionException ex)
        {
            throw new IllegalStateException("EAL is cleaned up", ex);
        }
        try
        {
            return future.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the EAL thread", ex);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            if (cause instanceof Error error)
            {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    /**
     * A call that may throw anything a downcall handle declares.
     */
    @FunctionalInterface
    interface NativeCall<T>
    {
        T call() throws Throwable;
    }

    /**
     * On the EAL thread: the port id of a device, or a negative code if there is none.
     */
    static int portByName(final String name) throws Throwable
    {
        try (Arena arena = Arena.ofConfined())
        {
            return (int)Calls.PORT_BY_NAME.invokeExact(arena.allocateFrom(name));
        }
    }

    /**
     * On the EAL thread: hot-plugs a virtual device ({@code name,args}).
     */
    static void createDevice(final String vdev) throws Throwable
    {
        final String name = DpdkConfig.deviceName(vdev);
        final int comma = vdev.indexOf(',');
        final String args = comma < 0 ? "" : vdev.substring(comma + 1);
        try (Arena arena = Arena.ofConfined())
        {
            final int rc = (int)Calls.VDEV_CREATE.invokeExact(arena.allocateFrom(name), arena.allocateFrom(args));
            if (rc < 0)
            {
                throw new IllegalStateException("cannot create DPDK device " + vdev + ": " + DpdkShim.lastError());
            }
        }
    }

    /**
     * On the EAL thread: removes a virtual device whose port was closed, so the same device can be created
     * again later.
     *
     * @return false if it failed (the device may not be a vdev); callers ignore that on close.
     */
    static boolean removeDevice(final String name) throws Throwable
    {
        try (Arena arena = Arena.ofConfined())
        {
            return (int)Calls.VDEV_REMOVE.invokeExact(arena.allocateFrom(name)) == 0;
        }
    }

    /**
     * Adds a reference.
     *
     * @return this.
     * @throws IllegalStateException if EAL was cleaned up.
     */
    public Eal retain()
    {
        synchronized (Eal.class)
        {
            if (cleanedUp)
            {
                throw new IllegalStateException("EAL is cleaned up");
            }
            references++;
            return this;
        }
    }

    /**
     * Drops a reference; the last one cleans EAL up. Close every port and free every pool before that
     * ({@link DpdkMedium#close()} does both and drops its own reference).
     */
    @Override
    public void close()
    {
        synchronized (Eal.class)
        {
            if (cleanedUp || --references > 0)
            {
                return;
            }
            cleanedUp = true;
            running = null;
            String result;
            try
            {
                final int rc = call(() -> (int)Calls.EAL_CLEANUP.invokeExact());
                result = rc == 0 ? "ok" : "rte_eal_cleanup " + rc;
            }
            catch (final RuntimeException ex)
            {
                result = "rte_eal_cleanup failed: " + ex.getMessage();
            }
            finished = filePrefix + ": " + result;
            thread.shutdown();
            argvArena.close();
            deleteRuntimeDirectory(filePrefix);
        }
    }

    /**
     * @return whether EAL is initialised and not yet cleaned up.
     */
    public boolean isRunning()
    {
        synchronized (Eal.class)
        {
            return !cleanedUp;
        }
    }

    /**
     * @return the EAL running in this JVM, or null.
     */
    public static synchronized Eal running()
    {
        return running;
    }

    public String filePrefix()
    {
        return filePrefix;
    }

    public List<String> arguments()
    {
        return arguments;
    }

    /**
     * @return where EAL keeps its runtime files for a prefix: {@code /var/run/dpdk/<prefix>} as root,
     * else under {@code $XDG_RUNTIME_DIR/dpdk} or {@code /tmp/dpdk}.
     */
    public static Path runtimeDirectory(final String prefix)
    {
        final Path base;
        if ("root".equals(System.getProperty("user.name")))
        {
            base = Path.of("/var/run/dpdk");
        }
        else
        {
            final String xdg = System.getenv("XDG_RUNTIME_DIR");
            base = Path.of(null != xdg ? xdg : "/tmp", "dpdk");
        }
        return base.resolve(prefix);
    }

    private static void deleteRuntimeDirectory(final String prefix)
    {
        final Path dir = runtimeDirectory(prefix);
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            System.err.println("rum-dpdk: cannot delete " + dir + ": " + ex);
        }
    }

    @Override
    public String toString()
    {
        return "Eal[" + filePrefix + ", " + (isRunning() ? "running" : "cleaned up") + ", " + arguments + "]";
    }
}
