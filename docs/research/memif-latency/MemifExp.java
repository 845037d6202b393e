package io.rum.net.reliability;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.DpdkConfig;
import io.rum.net.dpdk.DpdkMedium;
import io.rum.net.dpdk.Eal;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import org.HdrHistogram.Histogram;
import java.io.*;
import java.nio.file.*;
import java.util.*;

public final class MemifExp
{
    static void pin(int cpu) throws Throwable
    {
        var linker = java.lang.foreign.Linker.nativeLinker();
        var h = linker.downcallHandle(linker.defaultLookup().find("sched_setaffinity").get(),
            java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));
        try (var arena = java.lang.foreign.Arena.ofConfined())
        {
            var mask = arena.allocate(128);
            mask.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1L << cpu);
            int rc = (int) h.invokeExact(0, 128L, mask);
            System.out.println("pinned main to cpu " + cpu + " rc=" + rc);
        }
    }

    public static void main(String[] args) throws Throwable
    {
        String serverIdle = args[0];      // spin|yield|backoff
        String clientMode = args[1];      // started-<idle> | callerOnly
        String waitMode = args[2];        // await | spin | yield
        int size = Integer.parseInt(args.length > 3 ? args[3] : "64");
        String tag = "rum-exp-" + ProcessHandle.current().pid();
        Path socket = Path.of("/tmp", tag + ".sock");
        String memif = ",id=0,socket=" + socket + ",socket-abstract=no,bsize=10240";
        List<String> cmd = new ArrayList<>();
        if (System.getenv("SERVER_CPU") != null) cmd.addAll(List.of("taskset", "-c", System.getenv("SERVER_CPU")));
        cmd.addAll(List.of(ProcessHandle.current().info().command().get(),
            "-Xmx256m", "-XX:+UseParallelGC", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of("io.rum.bench.DpdkEchoNode", "--node=2", "--mac=02:52:55:4d:b0:02",
            "--vdev=net_memif0,role=server" + memif, "--file-prefix=" + tag + "-srv", "--idle=" + serverIdle));
        Process server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream()));
        System.out.println(out.readLine());
        // ZC=,zero-copy=yes: the client in memif zero-copy mode (needs zero-copy.patch; see README).
        DpdkConfig config = DpdkConfig.ofVdev("net_memif0,role=client" + System.getenv().getOrDefault("ZC", "") + memif).withMac(MacAddress.parse("02:52:55:4d:b0:01"));
        DpdkMedium medium;
        try (Eal eal = Eal.start(List.of(config.vdev()), config.memoryMb(), tag + "-cli"))
        {
            medium = DpdkMedium.open(eal, config, Map.of(2, MacAddress.parse("02:52:55:4d:b0:02")), DpdkMedium.DEFAULT_MAX_PEERS);
        }
        medium.awaitLinkUp(10_000);
        System.out.println(out.readLine());
        ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(1), medium);
        if (clientMode.startsWith("started-"))
        {
            client.start(io.rum.bench.BenchExp.idle(clientMode.substring(8)));
        }
        RpcClient rpc = client.rpcClient(2);
        if (System.getenv("CLIENT_CPU") != null) pin(Integer.parseInt(System.getenv("CLIENT_CPU")));
        org.agrona.concurrent.UnsafeBuffer req = new org.agrona.concurrent.UnsafeBuffer(new byte[size]);
        long timeout = 10_000_000_000L;
        // TPUT=<k>: throughput with k calls outstanding for 2 s, three times, instead of the latency rounds.
        final int tput = Integer.parseInt(System.getenv().getOrDefault("TPUT", "0"));
        for (int round = 0; round < (tput > 0 ? 3 : 0); round++)
        {
            final PendingCall[] calls = new PendingCall[tput];
            for (int i = 0; i < tput; i++) { calls[i] = rpc.begin(timeout); calls[i].request(size); calls[i].send(size, timeout); }
            final long start = System.nanoTime();
            long completed = 0;
            for (int i = 0; System.nanoTime() - start < 2_000_000_000L; i = (i + 1) % tput)
            {
                calls[i].await(); calls[i].release(); completed++;
                calls[i] = rpc.begin(timeout); calls[i].request(size); calls[i].send(size, timeout);
            }
            final double rate = completed / ((System.nanoTime() - start) / 1e9);
            for (PendingCall c : calls) { c.await(); c.release(); }
            System.out.printf("server=%s size=%d inflight=%d p50=%.0f calls/s%n", serverIdle, size, tput, rate);
        }
        // ROUNDS=<n> for a longer run (to profile it: perf record while it runs).
        final int rounds = tput > 0 ? 0 : Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "3"));
        for (int round = 0; round < rounds; round++)
        {
            Histogram h = new Histogram(10_000_000_000L, 3);
            long[] slow = new long[2000]; long[] slowD = new long[2000]; int nSlow = 0;
            for (int i = 0; i < 60_000; i++)
            {
                long t0 = System.nanoTime();
                PendingCall call = rpc.begin(timeout);
                call.request(size).putBytes(0, req, 0, size);
                call.send(size, timeout);
                switch (waitMode)
                {
                    case "await" -> call.await();
                    case "spin" -> { while (!call.isDone()) { if (client.tryDutyCycle(false) <= 0) Thread.onSpinWait(); } }
                    case "yield" -> { while (!call.isDone()) { if (client.tryDutyCycle(false) <= 0) Thread.yield(); } }
                }
                call.release();
                long t1 = System.nanoTime();
                if (i >= 20_000) { h.recordValue(t1 - t0); if (t1 - t0 > 10_000 && nSlow < slow.length) { slow[nSlow++] = t0; slowD[nSlow-1] = t1 - t0; } }
            }
            StringBuilder sb = new StringBuilder("slow " + nSlow + ": ");
            for (int k = 1; k < Math.min(nSlow, 40); k++) sb.append((slow[k]-slow[k-1])/1000).append("us/").append(slowD[k]/1000).append(' ');
            System.out.println(sb);
            System.out.printf("server=%s client=%s wait=%s size=%d p50=%.2f p90=%.2f p99=%.2f p999=%.2f%n", serverIdle, clientMode, waitMode, size,
                h.getValueAtPercentile(50)/1e3, h.getValueAtPercentile(90)/1e3, h.getValueAtPercentile(99)/1e3, h.getValueAtPercentile(99.9)/1e3);
        }
        for (int r = 0; r < 3; r++)
        {
            long t0 = System.nanoTime();
            for (int i = 0; i < 1_000_000; i++) client.tryDutyCycle(false);
            System.out.printf("idle tryDutyCycle: %.1f ns%n", (System.nanoTime() - t0) / 1e6);
            t0 = System.nanoTime();
            io.rum.net.dpdk.DpdkMedium m = (io.rum.net.dpdk.DpdkMedium) client.medium();
            io.rum.net.medium.FrameHandler fh = (a, b, c, d) -> {};
            for (int i = 0; i < 1_000_000; i++) m.poll(fh, 64);
            System.out.printf("idle medium.poll: %.1f ns%n", (System.nanoTime() - t0) / 1e6);
        }
        System.out.println("client " + client.counters());
        // The echo node first: DPDK's memif PMD can crash a node that polls while its peer disconnects (README).
        server.getOutputStream().close();
        System.out.println(out.readLine());
        server.waitFor();
        client.close();
        Files.deleteIfExists(socket);
    }
}
