package io.rum.net.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Finds and loads {@code librum_dpdk_shim.so} (built from {@code src/main/c} by the Maven build) and holds
 * the FFM downcall handles to it.
 *
 * <p>Where the library is: the system property {@value #SHIM_PROPERTY} if set; otherwise
 * {@code native/librum_dpdk_shim.so} in the build directory this class was loaded from
 * ({@code target/classes} or the module jar in {@code target}). When the build could not compile it, a
 * {@code SHIM-MISSING.txt} beside it says why, and {@link #check()} reports that reason.
 *
 * <p>Data-path handles ({@code rx}, {@code tx}) are linked with {@code Linker.Option.critical(true)}: no
 * thread-state transition (about 4 ns saved per call, see docs/research/dpdk-probe/FINDINGS.md), and
 * heap segments are allowed, so a {@code byte[]} is handed to C without a copy. That is safe only
 * because those C functions neither block nor call back nor keep the pointer. Control handles (EAL, ports,
 * pools) may sleep or lock and are linked without it.
 *
 * <p>The handles live in the nested {@link Calls} class, which is initialised (and the library loaded) on
 * first use; {@link Eal} checks {@link #check()} before touching it, so a missing library is a clear
 * exception rather than an {@link ExceptionInInitializerError}.
 *
 * <p>This is the one class that uses FFM's restricted methods (library lookup, downcall linking, reinterpreting
 * C strings), hence the class-wide suppression; JVMs running it need {@code --enable-native-access}.
 */
@SuppressWarnings("restricted")
public final class DpdkShim
{
    /** System property naming the shim library file. */
    public static final String SHIM_PROPERTY = "rum.dpdk.shim";
    public static final String LIBRARY_FILE = "librum_dpdk_shim.so";
    public static final String MISSING_FILE = "SHIM-MISSING.txt";

    // Mirrors of the RUM_E* codes in rum_dpdk_shim.c.
    public static final int OK = 0;
    public static final int E_INVAL = -1;
    public static final int E_EAL = -2;
    public static final int E_NODEV = -3;
    public static final int E_MEMPOOL = -4;
    public static final int E_CONFIGURE = -5;
    public static final int E_RXQ = -6;
    public static final int E_TXQ = -7;
    public static final int E_START = -8;
    public static final int E_STOP = -9;
    public static final int E_CLOSE = -10;
    public static final int E_NOBUFS = -11;
    public static final int E_TOOBIG = -12;
    public static final int E_QUERY = -13;
    public static final int E_VDEV = -14;
    public static final int E_MAC = -15;
    /** Mirror of RUM_RX_CHECKED: added to a received frame's length when the shim found its CRC32C right. */
    static final int RX_CHECKED = 1 << 30;

    /** Frames one {@code rum_rx_burst_view} call returns at most. */
    public static final int MAX_BURST = 32;

    /** Packet stats slots filled by {@code rum_port_stats}. */
    public static final int STATS_SLOTS = 8;

    private static volatile Availability availability;
    // Set by probe() before Calls is first touched; Calls loads this file.
    private static volatile Path candidate;

    private DpdkShim()
    {
    }

    /**
     * Whether the DPDK shim can be used in this JVM.
     *
     * @param available true if the library loaded.
     * @param reason    why not, naming the missing package or file; or the DPDK version when available.
     * @param library   the library file looked for.
     */
    public record Availability(boolean available, String reason, Path library)
    {
    }

    /**
     * Locates and loads the shim once; later calls return the same answer. Never throws.
     */
    public static Availability check()
    {
        Availability result = availability;
        if (null == result)
        {
            synchronized (DpdkShim.class)
            {
                result = availability;
                if (null == result)
                {
                    result = probe();
                    availability = result;
                }
            }
        }
        return result;
    }

    /**
     * @return the library path, when DPDK is usable.
     * @throws IllegalStateException with {@link Availability#reason()} otherwise.
     */
    public static Path require()
    {
        final Availability result = check();
        if (!result.available())
        {
            throw new IllegalStateException("DPDK transport unavailable: " + result.reason());
        }
        return result.library();
    }

    private static Availability probe()
    {
        final Path library;
        try
        {
            library = locate();
        }
        catch (final RuntimeException ex)
        {
            return new Availability(false, "cannot locate " + LIBRARY_FILE + ": " + ex.getMessage() +
                "; set -D" + SHIM_PROPERTY + "=<path>", null);
        }
        return probe(library);
    }

    /**
     * Checks one library file: whether it exists, and if not, why the build left it out. Loads it only if
     * nothing was loaded before (a JVM loads the shim once).
     */
    static Availability probe(final Path library)
    {
        if (!Files.isRegularFile(library))
        {
            final Path missing = library.resolveSibling(MISSING_FILE);
            String why;
            try
            {
                why = Files.isRegularFile(missing) ? Files.readString(missing, StandardCharsets.UTF_8).strip() : null;
            }
            catch (final IOException ex)
            {
                why = null;
            }
            return new Availability(false, null != why ? why + " (" + library + " was not built)" :
                library + " does not exist: build net-dpdk on a machine with gcc, pkg-config and libdpdk-dev " +
                "(apt-get install dpdk libdpdk-dev), or set -D" + SHIM_PROPERTY, library);
        }
        if (null != candidate && !candidate.equals(library))
        {
            return new Availability(false, "another shim is loaded already: " + candidate, library);
        }
        candidate = library;
        try
        {
            final String version = Calls.version();
            return new Availability(true, version, library);
        }
        catch (final Throwable ex)
        {
            // UnsatisfiedLinkError-like failures surface as IllegalArgumentException from libraryLookup, and
            // the class initialiser wraps them; unwrap to the dynamic linker's own message.
            Throwable cause = ex;
            while (null != cause.getCause())
            {
                cause = cause.getCause();
            }
            final String message = String.valueOf(cause.getMessage());
            final String hint = message.contains("librte_") ?
                "DPDK runtime libraries not installed (apt-get install dpdk): " : "cannot load " + library + ": ";
            return new Availability(false, hint + message, library);
        }
    }

    private static Path locate()
    {
        final String property = System.getProperty(SHIM_PROPERTY);
        if (null != property && !property.isBlank())
        {
            return Path.of(property).toAbsolutePath();
        }
        final CodeSource source = DpdkShim.class.getProtectionDomain().getCodeSource();
        if (null == source || null == source.getLocation())
        {
            throw new IllegalStateException("no code source for " + DpdkShim.class.getName());
        }
        final Path location;
        try
        {
            location = Path.of(source.getLocation().toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex.getMessage(), ex);
        }
        // target/classes -> target/native; target/net-dpdk-x.jar -> target/native
        final Path buildDirectory = location.getParent();
        if (null == buildDirectory)
        {
            throw new IllegalStateException("code source " + location + " has no parent directory");
        }
        return buildDirectory.resolve("native").resolve(LIBRARY_FILE);
    }

    /**
     * A direct {@link ByteBuffer} over native memory that lives as long as the process (a pool's memory, which a
     * medium only reads while its pool exists), so flyweights and the CRC can read frames where they lie.
     */
    static ByteBuffer nativeBuffer(final long address, final int length)
    {
        return MemorySegment.ofAddress(address).reinterpret(length).asByteBuffer();
    }

    /**
     * All of the process's memory, from address 0: the base for an Agrona buffer over a bare address, which has no
     * {@code byte[]} or {@link ByteBuffer} to pass instead.
     */
    static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /**
     * Whether the shim seals frames it sends and checks the CRC32C of frames it receives (see rum_dpdk_shim.c: with
     * AVX-512 and VPCLMULQDQ, after a self-test at load), so Java need not. {@code -Drum.dpdk.checksumsInC=false}
     * leaves it to Java, as on other CPUs.
     */
    public static boolean checksumsInC()
    {
        return ChecksumsInC.ENABLED;
    }

    private static final class ChecksumsInC
    {
        static final boolean ENABLED = enabled();

        private static boolean enabled()
        {
            if (!Boolean.parseBoolean(System.getProperty("rum.dpdk.checksumsInC", "true")))
            {
                return false;
            }
            try
            {
                return (int)Calls.CRC_IN_C.invokeExact() == 1;
            }
            catch (final Throwable ex)
            {
                return false;
            }
        }
    }

    /**
     * @return the CRC32C the shim computes for {@code bytes[offset..offset+length)}, or -1 if it computes none: for
     *     tests, to hold it against {@link java.util.zip.CRC32C}.
     */
    public static long crc32c(final byte[] bytes, final int offset, final int length)
    {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        try
        {
            return (long)Calls.CRC32C.invokeExact(MemorySegment.ofArray(bytes), (long)offset, length);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Text of the last DPDK error on this thread, for exception messages.
     */
    static String lastError()
    {
        try
        {
            final int errno = (int)Calls.LAST_ERROR.invokeExact();
            final MemorySegment text = (MemorySegment)Calls.STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (" + errno + ")";
        }
        catch (final Throwable ex)
        {
            return "unknown (" + ex + ")";
        }
    }

    /**
     * The downcall handles. {@code static final}, so C2 treats each as a constant and inlines its stub.
     */
    static final class Calls
    {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final SymbolLookup LOOKUP = SymbolLookup.libraryLookup(candidate, Arena.global());
        private static final Linker.Option[] CRITICAL = {Linker.Option.critical(true)};

        static final MethodHandle LAST_ERROR = control("rum_last_error", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle STRERROR = control("rum_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        static final MethodHandle VERSION = control("rum_dpdk_version", FunctionDescriptor.of(ADDRESS));
        static final MethodHandle MAX_BURST = control("rum_max_burst", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle EAL_INIT = control("rum_eal_init", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        static final MethodHandle EAL_CLEANUP = control("rum_eal_cleanup", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle VDEV_CREATE =
            control("rum_vdev_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle VDEV_REMOVE = control("rum_vdev_remove", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle POOL_CREATE =
            control("rum_pool_create", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle POOL_FRAME_ROOM =
            control("rum_pool_frame_room", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle POOL_AVAILABLE =
            control("rum_pool_available", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle POOL_FREE = control("rum_pool_free", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle PORT_BY_NAME = control("rum_port_by_name", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle PORT_SETUP = control(
            "rum_port_setup", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, JAVA_SHORT, JAVA_SHORT));
        static final MethodHandle PORT_START = control("rum_port_start", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
        static final MethodHandle PORT_PROMISCUOUS =
            control("rum_port_promiscuous", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_INT));
        static final MethodHandle PORT_LINK_UP = control("rum_port_link_up", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
        static final MethodHandle PORT_MAC = control("rum_port_mac", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
        static final MethodHandle PORT_SET_MAC =
            control("rum_port_set_mac", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
        static final MethodHandle PORT_STATS =
            control("rum_port_stats", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
        static final MethodHandle PORT_STOP = control("rum_port_stop", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
        static final MethodHandle PORT_CLOSE = control("rum_port_close", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));

        // Data path. Raw frame: (port, queue, pool, src, len) -> 1 sent, 0 ring full, < 0 error.
        static final MethodHandle TX_COPY = critical(
            "rum_tx_copy", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, ADDRESS, ADDRESS, JAVA_INT));
        // (port, queue, pool, hdr, hdrLen, a, aOffset, aLen, b, bOffset, bLen, crcAt or -1) -> as TX_COPY.
        static final MethodHandle TX_GATHER = critical(
            "rum_tx_gather", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));
        // (port, queue, pool, held, heldCount, slots, slotSize, addresses, lengths, max, frameAt, crcAt or -1,
        // waitNs, doorbell) -> frames received; a length has RX_CHECKED added if C found the frame's CRC right.
        static final MethodHandle RX_BURST_VIEW = critical(
            "rum_rx_burst_view", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, ADDRESS, ADDRESS, JAVA_SHORT,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_SHORT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        // () -> 1 if the shim seals and checks frames' CRC32C (AVX-512 and VPCLMULQDQ, self-test passed), else 0.
        static final MethodHandle CRC_IN_C = control("rum_crc_in_c", FunctionDescriptor.of(JAVA_INT));
        // (bytes, offset, length) -> their CRC32C, or -1 if not computed in C. Tests compare it with Java's.
        static final MethodHandle CRC32C = critical(
            "rum_crc32c", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
        // (mbufs, count): frees a held burst; never blocks, so critical (the array is on the heap).
        static final MethodHandle MBUF_FREE_BULK =
            critical("rum_mbuf_free_bulk", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        static final MethodHandle POOL_CHUNKS =
            control("rum_pool_chunks", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        static final MethodHandle POOL_CACHED = control("rum_pool_cached", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle DATA_LCORE = control("rum_data_lcore_id", FunctionDescriptor.of(JAVA_INT));
        // Link state is read by the poller every few ms: it never waits, so it may be critical too.
        static final MethodHandle LINK_UP_FAST =
            critical("rum_port_link_up", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));

        private Calls()
        {
        }

        private static MethodHandle control(final String name, final FunctionDescriptor descriptor)
        {
            return LINKER.downcallHandle(symbol(name), descriptor);
        }

        private static MethodHandle critical(final String name, final FunctionDescriptor descriptor)
        {
            return LINKER.downcallHandle(symbol(name), descriptor, CRITICAL);
        }

        private static MemorySegment symbol(final String name)
        {
            return LOOKUP.find(name).orElseThrow(() -> new IllegalStateException(
                "symbol " + name + " missing from " + LIBRARY_FILE + ": rebuild net-dpdk"));
        }

        static String version() throws Throwable
        {
            final int burst = (int)MAX_BURST.invokeExact();
            if (burst != DpdkShim.MAX_BURST)
            {
                throw new IllegalStateException("shim burst " + burst + " != " + DpdkShim.MAX_BURST + ": rebuild net-dpdk");
            }
            return ((MemorySegment)VERSION.invokeExact()).reinterpret(64).getString(0);
        }
    }
}
