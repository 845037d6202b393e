// Probe.java - single-file Java 25 FFM probe for the RUM DPDK shim.
//
// java --enable-native-access=ALL-UNNAMED Probe.java --role=ping|pong \
//      [--lib=/tmp/dpdk-probe/librum_dpdk_shim.so] [--port=net_memif0] \
//      [--iters=20000] [--sizes=64,1024,4096] [--critical=true|false] \
//      [--mode=seg|copy] -- <EAL args, e.g. --no-huge --no-pci -l 1 --vdev=...>
//
// Wire format is identical to pingpong.c (so Java<->C also works):
//   dst MAC(6) src MAC(6) EtherType 0x88B5 | magic 'RUMP' u32 | kind u32 (1 ping, 2 stop) | seq u64 LE | filler
//
// All DPDK work (EAL init, port setup, polling, cleanup) runs on ONE dedicated
// platform thread "rum-dpdk"; main only starts it and joins.
import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.nio.file.*;
import java.util.*;

import static java.lang.foreign.ValueLayout.*;

public class Probe {
    // ---- shim error codes (mirror of rum_dpdk_shim.c) ----
    static final int RUM_ETOOBIG = -12;
    static final int MAGIC = 0x52554D50, KIND_PING = 1, KIND_STOP = 2;
    static final ValueLayout.OfLong LE_LONG = JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    // ---- method handles ----
    // Keep them static final so C2 treats them as constants and inlines the
    // downcall stub. The holder class is initialised on first use, i.e. after
    // main() parsed --lib/--critical.
    static final class N {
        static final Linker LINKER = Linker.nativeLinker();
        // Global arena: the library stays loaded for the life of the JVM
        // (DPDK cannot be re-initialised after rte_eal_cleanup anyway).
        static final SymbolLookup L = SymbolLookup.libraryLookup(lib, Arena.global());
        // Control-path calls: never critical (they may block / sleep / take locks).
        static final Linker.Option[] CTL = {};
        // Data-path calls: optionally critical. critical(true) = no thread-state
        // transition AND heap segments (byte[]) may be passed as pointers.
        static final Linker.Option[] DP = critical ? new Linker.Option[]{Linker.Option.critical(true)} : new Linker.Option[0];

        static MethodHandle h(String name, FunctionDescriptor fd, Linker.Option... o) {
            MemorySegment sym = L.find(name).orElseThrow(() -> new IllegalStateException("missing symbol " + name));
            return LINKER.downcallHandle(sym, fd, o);
        }
        static final MethodHandle
            EAL_INIT = h("rum_eal_init", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), CTL),
            EAL_CLEANUP = h("rum_eal_cleanup", FunctionDescriptor.of(JAVA_INT), CTL),
            LAST_ERROR = h("rum_last_error", FunctionDescriptor.of(JAVA_INT), CTL),
            STRERROR = h("rum_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT), CTL),
            MBUF_SIZE = h("rum_mbuf_struct_size", FunctionDescriptor.of(JAVA_INT), CTL),
            LCORE_ID = h("rum_lcore_id", FunctionDescriptor.of(JAVA_INT), CTL),
            POOL_CREATE = h("rum_pool_create", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT), CTL),
            POOL_FREE = h("rum_pool_free", FunctionDescriptor.ofVoid(ADDRESS), CTL),
            PORT_BY_NAME = h("rum_port_by_name", FunctionDescriptor.of(JAVA_INT, ADDRESS), CTL),
            PORT_SETUP = h("rum_port_setup", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, JAVA_SHORT, JAVA_SHORT, JAVA_INT, JAVA_INT), CTL),
            LINK_WAIT = h("rum_port_link_wait", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_INT), CTL),
            PORT_MAC = h("rum_port_mac", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS), CTL),
            PORT_STATS = h("rum_port_stats", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS), CTL),
            PORT_STOP = h("rum_port_stop", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT), CTL),
            PORT_CLOSE = h("rum_port_close", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT), CTL),
            // uint16_t <-> JAVA_SHORT (read results with Short.toUnsignedInt)
            RX_BURST = h("rum_rx_burst", FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_SHORT), DP),
            TX_BURST = h("rum_tx_burst", FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_SHORT), DP),
            MBUF_ALLOC = h("rum_mbuf_alloc", FunctionDescriptor.of(ADDRESS, ADDRESS), DP),
            MBUF_FREE = h("rum_mbuf_free", FunctionDescriptor.ofVoid(ADDRESS), DP),
            MBUF_DATA = h("rum_mbuf_data", FunctionDescriptor.of(ADDRESS, ADDRESS), DP),
            MBUF_PKT_LEN = h("rum_mbuf_pkt_len", FunctionDescriptor.of(JAVA_INT, ADDRESS), DP),
            MBUF_NB_SEGS = h("rum_mbuf_nb_segs", FunctionDescriptor.of(JAVA_SHORT, ADDRESS), DP),
            MBUF_SET_LEN = h("rum_mbuf_set_len", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), DP),
            MBUF_READ = h("rum_mbuf_read", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), DP),
            TX_COPY = h("rum_tx_copy", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, ADDRESS, ADDRESS, JAVA_INT), DP),
            RX_COPY = h("rum_rx_copy", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_INT), DP);
    }

    static RuntimeException fail(String what, int rc) throws Throwable {
        int e = (int) N.LAST_ERROR.invokeExact();
        String msg = ((MemorySegment) N.STRERROR.invokeExact(e)).reinterpret(256).getString(0);
        return new IllegalStateException(what + " failed rc=" + rc + " dpdk_err=" + e + " (" + msg + ")");
    }

    // ---- options ----
    static String role = "ping", portName = "net_memif0", mode = "seg";
    static Path lib = Path.of("/tmp/dpdk-probe/librum_dpdk_shim.so");
    static int iters = 20000, warmup = 20000;
    static final java.util.concurrent.CountDownLatch initDone = new java.util.concurrent.CountDownLatch(1);
    static int[] sizes = {64, 1024, 4096};
    static boolean critical = false, reinit = false;
    static int poolN = 4095, room = 8192 + 128;
    static List<String> eal = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int i = 0;
        for (; i < args.length && !args[i].equals("--"); i++) {
            String[] kv = args[i].split("=", 2);
            switch (kv[0]) {
                case "--role" -> role = kv[1];
                case "--lib" -> lib = Path.of(kv[1]);
                case "--port" -> portName = kv[1];
                case "--iters" -> iters = Integer.parseInt(kv[1]);
                case "--sizes" -> sizes = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--critical" -> critical = Boolean.parseBoolean(kv[1]);
                case "--mode" -> mode = kv[1];
                case "--warmup" -> warmup = Integer.parseInt(kv[1]);
                case "--pool" -> poolN = Integer.parseInt(kv[1]);
                case "--room" -> room = Integer.parseInt(kv[1]);
                case "--reinit" -> reinit = Boolean.parseBoolean(kv[1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        eal.add("rum-probe");                                   // argv[0]
        for (i++; i < args.length; i++) eal.add(args[i]);
        if (eal.stream().noneMatch(s -> s.startsWith("--file-prefix")))
            eal.add("--file-prefix=rumj_" + ProcessHandle.current().pid()); // unique per JVM

        System.err.println("[java-" + role + "] affinity BEFORE EAL init:");
        dumpAffinity();
        Throwable[] err = new Throwable[1];
        // Dedicated platform thread: rte_eal_init pins *this* thread only.
        Thread t = Thread.ofPlatform().name("rum-dpdk").unstarted(() -> {
            try { run(); } catch (Throwable x) { err[0] = x; }
        });
        t.start();
        initDone.await();
        // A thread started by MAIN after EAL init: does it inherit the pinning? (no)
        Thread mainChild = Thread.ofPlatform().name("main-child").start(() -> { try { Thread.sleep(300); } catch (InterruptedException e) {} });
        Thread.sleep(50);
        System.err.println("[java-" + role + "] affinity AFTER EAL init:");
        dumpAffinity();
        mainChild.join();
        t.join();
        if (err[0] != null) { err[0].printStackTrace(); System.exit(1); }
    }

    static void dumpAffinity() throws Exception {
        var byCpus = new TreeMap<String, List<String>>();
        try (var ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : ds) {
                try {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    String cpus = Files.readAllLines(task.resolve("status")).stream()
                            .filter(l -> l.startsWith("Cpus_allowed_list")).findFirst().orElse("?").split(":\\s*")[1];
                    byCpus.computeIfAbsent(cpus, k -> new ArrayList<>()).add(comm);
                } catch (NoSuchFileException ignore) { }
            }
        }
        byCpus.forEach((cpus, names) -> System.err.println("   cpus=" + cpus + " : " + names.size() + " threads " + names));
    }

    static void run() throws Throwable {
        // Arena lives as long as EAL: rte_eal_init may keep/permute argv pointers.
        Arena ealArena = Arena.ofConfined();
        MemorySegment argv = ealArena.allocate(ADDRESS, eal.size() + 1);
        for (int k = 0; k < eal.size(); k++) argv.setAtIndex(ADDRESS, k, ealArena.allocateFrom(eal.get(k)));
        argv.setAtIndex(ADDRESS, eal.size(), MemorySegment.NULL);
        long t0 = System.nanoTime();
        int rc = (int) N.EAL_INIT.invokeExact(eal.size(), argv);
        if (rc < 0) { initDone.countDown(); throw fail("rte_eal_init", rc); }
        System.err.printf("[java-%s] EAL init %.1f ms, lcore=%d, sizeof(rte_mbuf)=%d, critical=%s mode=%s args=%s%n",
                role, (System.nanoTime() - t0) / 1e6, (int) N.LCORE_ID.invokeExact(), (int) N.MBUF_SIZE.invokeExact(), critical, mode, eal);
        // A thread started by the (now pinned) EAL thread: inherits its affinity
        Thread probeT = Thread.ofPlatform().name("dpdk-child").start(() -> { try { Thread.sleep(300); } catch (InterruptedException e) {} });
        initDone.countDown();
        probeT.join();

        try (Arena a = Arena.ofConfined()) {
            int port = (int) N.PORT_BY_NAME.invokeExact(a.allocateFrom(portName));
            if (port < 0) throw fail("port_by_name", port);
            // 4095 mbufs x (8192+128) data room ~= 35 MB; fits -m 256 with --no-huge
            MemorySegment pool = (MemorySegment) N.POOL_CREATE.invokeExact(a.allocateFrom("rum_pool"), poolN, Math.min(256, poolN / 2), room);
            if (pool.equals(MemorySegment.NULL)) throw fail("pool_create", -4);
            rc = (int) N.PORT_SETUP.invokeExact((short) port, pool, (short) 0, (short) 0, 0, 1);
            if (rc < 0) throw fail("port_setup", rc);
            MemorySegment mac = a.allocate(6);
            rc = (int) N.PORT_MAC.invokeExact((short) port, mac);
            byte[] myMac = mac.toArray(JAVA_BYTE);
            if (role.equals("bench")) { if (iters > 0) bench((short) port, pool); }
            else {
            t0 = System.nanoTime();
            rc = (int) N.LINK_WAIT.invokeExact((short) port, 30_000);
            if (rc < 0) throw fail("link_wait", rc);
            System.err.printf("[java-%s] port %d link up after %.1f ms, mac %s%n", role, port, (System.nanoTime() - t0) / 1e6, HexFormat.ofDelimiter(":").formatHex(myMac));

            Io io = new Io((short) port, pool, a, myMac);
            if (role.equals("pong")) pong(io); else ping(io);
            }

            MemorySegment st = a.allocate(JAVA_LONG, 8);
            if ((int) N.PORT_STATS.invokeExact((short) port, st) == 0)
                System.err.printf("[java-%s] stats ipackets=%d opackets=%d imissed=%d ierrors=%d oerrors=%d rx_nombuf=%d%n", role,
                        st.getAtIndex(JAVA_LONG, 0), st.getAtIndex(JAVA_LONG, 1), st.getAtIndex(JAVA_LONG, 4),
                        st.getAtIndex(JAVA_LONG, 5), st.getAtIndex(JAVA_LONG, 6), st.getAtIndex(JAVA_LONG, 7));
            rc = (int) N.PORT_STOP.invokeExact((short) port);
            int rc2 = (int) N.PORT_CLOSE.invokeExact((short) port);
            N.POOL_FREE.invokeExact(pool);
            System.err.printf("[java-%s] stop=%d close=%d%n", role, rc, rc2);
        }
        rc = (int) N.EAL_CLEANUP.invokeExact();
        ealArena.close();
        System.err.printf("[java-%s] rte_eal_cleanup rc=%d%n", role, rc);
        if (reinit) {   // DPDK does not support a second rte_eal_init in one process
            try (Arena a2 = Arena.ofConfined()) {
                MemorySegment argv2 = a2.allocate(ADDRESS, eal.size() + 1);
                for (int k = 0; k < eal.size(); k++) argv2.setAtIndex(ADDRESS, k, a2.allocateFrom(eal.get(k)));
                rc = (int) N.EAL_INIT.invokeExact(eal.size(), argv2);
                System.err.printf("[java-%s] second rte_eal_init rc=%d dpdk_err=%d%n", role, rc, (int) N.LAST_ERROR.invokeExact());
            }
        }
    }

    /** Per-port I/O state + the two send/receive strategies. */
    static final class Io {
        final short port; final MemorySegment pool; final byte[] myMac;
        final MemorySegment pkts;      // native struct rte_mbuf *[32]
        final MemorySegment staging;   // native bounce buffer for copy mode without heap access
        final byte[] rxBuf = new byte[16384];
        final MemorySegment rxHeap = MemorySegment.ofArray(rxBuf);
        Io(short port, MemorySegment pool, Arena a, byte[] myMac) {
            this.port = port; this.pool = pool; this.myMac = myMac;
            pkts = a.allocate(ADDRESS, 32); staging = a.allocate(16384, 64);
        }

        /** Send frame[0..len): returns true when the PMD accepted it. */
        boolean send(byte[] frame, int len) throws Throwable {
            if (mode.equals("copy")) {
                // one downcall: alloc + memcpy + tx_burst inside C
                MemorySegment src;
                if (critical) src = MemorySegment.ofArray(frame);          // heap segment passed directly (critical(true))
                else { MemorySegment.copy(frame, 0, staging, JAVA_BYTE, 0, len); src = staging; }
                int r;
                while ((r = (int) N.TX_COPY.invokeExact(port, (short) 0, pool, src, len)) == 0) Thread.onSpinWait();
                if (r < 0) throw fail("tx_copy", r);
                return true;
            }
            // "seg" mode: Java writes straight into the mbuf data room
            MemorySegment m = (MemorySegment) N.MBUF_ALLOC.invokeExact(pool);
            if (m.equals(MemorySegment.NULL)) throw fail("mbuf_alloc", -11);
            int r = (int) N.MBUF_SET_LEN.invokeExact(m, len);
            if (r < 0) throw fail("mbuf_set_len", r);
            MemorySegment data = ((MemorySegment) N.MBUF_DATA.invokeExact(m)).reinterpret(len); // zero-length -> len bytes
            MemorySegment.copy(frame, 0, data, JAVA_BYTE, 0, len);                              // heap -> mbuf
            pkts.setAtIndex(ADDRESS, 0, m);
            while ((short) N.TX_BURST.invokeExact(port, (short) 0, pkts, (short) 1) == 0) Thread.onSpinWait();
            return true;
        }

        /** Poll once; returns frame length copied into rxBuf, 0 if nothing. */
        int recv() throws Throwable {
            if (mode.equals("copy")) {
                int r;
                if (critical) r = (int) N.RX_COPY.invokeExact(port, (short) 0, rxHeap, rxBuf.length);   // C memcpy straight into byte[]
                else {
                    r = (int) N.RX_COPY.invokeExact(port, (short) 0, staging, (int) staging.byteSize());
                    if (r > 0) MemorySegment.copy(staging, JAVA_BYTE, 0, rxBuf, 0, r);
                }
                if (r < 0) throw fail("rx_copy", r);
                return r;
            }
            int n = Short.toUnsignedInt((short) N.RX_BURST.invokeExact(port, (short) 0, pkts, (short) 1));
            if (n == 0) return 0;
            MemorySegment m = pkts.getAtIndex(ADDRESS, 0);
            int len;
            if ((short) N.MBUF_NB_SEGS.invokeExact(m) == 1) {
                len = (int) N.MBUF_PKT_LEN.invokeExact(m);
                MemorySegment data = ((MemorySegment) N.MBUF_DATA.invokeExact(m)).reinterpret(len);
                MemorySegment.copy(data, JAVA_BYTE, 0, rxBuf, 0, len);                          // mbuf -> heap
            } else {                                                                              // chained: let C walk it
                len = (int) N.MBUF_READ.invokeExact(m, staging, (int) staging.byteSize());
                if (len > 0) MemorySegment.copy(staging, JAVA_BYTE, 0, rxBuf, 0, len);
            }
            N.MBUF_FREE.invokeExact(m);
            return len;
        }
    }

    /** Downcall cost without a peer: rx_burst on a link-down port + alloc/free pairs. */
    static void bench(short port, MemorySegment pool) throws Throwable {
        MemorySegment pkts = Arena.global().allocate(ADDRESS, 32);
        for (int round = 0; round < 5; round++) {
            int n = 2_000_000;
            long t0 = System.nanoTime();
            int sum = 0;
            for (int i = 0; i < n; i++) sum += (short) N.RX_BURST.invokeExact(port, (short) 0, pkts, (short) 1);
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) { MemorySegment m = (MemorySegment) N.MBUF_ALLOC.invokeExact(pool); N.MBUF_FREE.invokeExact(m); }
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) sum += (int) N.LAST_ERROR.invokeExact();
            long t3 = System.nanoTime();
            long x = 0;
            for (int i = 0; i < n; i++) x += System.nanoTime();
            long t4 = System.nanoTime();
            System.out.printf("BENCH critical=%s rx_burst(empty)=%.1f ns  alloc+free=%.1f ns  noop(ctl,non-critical)=%.1f ns nanoTime=%.1f ns %d%n", critical,
                    (t1 - t0) / (double) n, (t2 - t1) / (double) n, (t3 - t2) / (double) n, (t4 - t3) / (double) n, sum + (x & 1));
        }
    }

    static byte[] frame(byte[] src, int kind, long seq, int size) {
        byte[] f = new byte[size];
        Arrays.fill(f, 0, 6, (byte) 0xff);
        System.arraycopy(src, 0, f, 6, 6);
        f[12] = (byte) 0x88; f[13] = (byte) 0xB5;
        MemorySegment s = MemorySegment.ofArray(f);
        s.set(LE_INT, 14, MAGIC); s.set(LE_INT, 18, kind); s.set(LE_LONG, 22, seq);
        return f;
    }

    static void ping(Io io) throws Throwable {
        long seq = 0;
        long[] rtt = new long[iters];
        for (int size : sizes) {
            byte[] f = frame(io.myMac, KIND_PING, 0, size);
            MemorySegment fs = MemorySegment.ofArray(f);
            int warm = warmup, got = 0, lost = 0, bad = 0;
            for (int i = -warm; i < iters; i++) {
                seq++;
                fs.set(LE_LONG, 22, seq);
                long ts = System.nanoTime();
                io.send(f, size);
                for (;;) {
                    int len = io.recv();
                    if (len > 0) {
                        if (io.rxHeap.get(LE_LONG, 22) != seq) continue;   // stale echo
                        if (len != size) bad++;
                        long d = System.nanoTime() - ts;
                        if (i >= 0) rtt[got++] = d;
                        break;
                    }
                    if (System.nanoTime() - ts > 200_000_000L) { lost++; break; }
                }
                if (lost >= 20) { System.err.println("[java-ping] size " + size + ": 20 frames lost, giving up"); break; }
            }
            if (got == 0) { System.out.printf("JAVA size=%d: no replies (lost=%d)%n", size, lost); continue; }
            Arrays.sort(rtt, 0, got);
            System.out.printf("JAVA critical=%-5s mode=%-4s size=%5d n=%d lost=%d badlen=%d p50=%.2f us p99=%.2f us min=%.2f us%n",
                    critical, mode, size, got, lost, bad, rtt[got / 2] / 1e3, rtt[(int) (got * 0.99)] / 1e3, rtt[0] / 1e3);
        }
        io.send(frame(io.myMac, KIND_STOP, ++seq, 64), 64);
        Thread.sleep(100);
    }

    static void pong(Io io) throws Throwable {
        long last = System.nanoTime(), echoed = 0;
        byte[] out = new byte[16384];
        for (;;) {
            int len = io.recv();
            if (len == 0) {
                long idle = System.nanoTime() - last;
                if (idle > 10_000_000_000L) { System.err.println("[java-pong] idle timeout"); break; }
                if (idle > 100_000_000L) Thread.sleep(1);              // be nice when idle
                continue;
            }
            last = System.nanoTime();
            if (len < 30 || io.rxHeap.get(LE_INT, 14) != MAGIC) continue;
            if (io.rxHeap.get(LE_INT, 18) == KIND_STOP) break;
            System.arraycopy(io.rxBuf, 6, out, 0, 6);                   // reply to sender
            System.arraycopy(io.myMac, 0, out, 6, 6);
            System.arraycopy(io.rxBuf, 12, out, 12, len - 12);
            io.send(out, len);
            echoed++;
        }
        System.err.println("[java-pong] echoed " + echoed + " frames");
    }
}
