package io.rum.bench;

import io.rum.net.dpdk.Eal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The raw C memif baseline: runs {@code memif_pingpong} (bench/src/main/c, built by Maven into
 * {@code target/native}) as a server process and a client process over one memif link, each pinned to its
 * own CPU by EAL ({@code -l}), and parses the client's result lines. See memif_pingpong.c for the frames and
 * what each end does.
 */
final class MemifPingPong
{
    /** System property naming the executable, instead of {@code native/memif_pingpong} beside the classes. */
    static final String EXECUTABLE_PROPERTY = "rum.bench.pingpong";
    static final String EXECUTABLE_FILE = "memif_pingpong";
    static final String MISSING_FILE = "PINGPONG-MISSING.txt";
    private static final int MEMORY_MB = 128;
    private static final long EXIT_TIMEOUT_MS = 10_000;

    /**
     * One size's round trips, in ns.
     */
    record Latency(int size, long count, long lost, long p50Ns, long p99Ns, long p999Ns)
    {
    }

    /**
     * @param placement where each end ran, e.g. "server -l 0 (CPU 0), client -l 1 (CPU 1)".
     * @param rate      round trips per second with {@code inFlight} frames outstanding, 64 B.
     */
    record Result(List<Latency> latencies, double rate, int inFlight, long lostInThroughput, String placement)
    {
    }

    private MemifPingPong()
    {
    }

    /**
     * @return the executable, or null.
     */
    static Path executable()
    {
        final String property = System.getProperty(EXECUTABLE_PROPERTY);
        if (null != property && !property.isBlank())
        {
            return Path.of(property);
        }
        try
        {
            // target/classes -> target/native
            final Path classes = Path.of(MemifPingPong.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            final Path target = classes.getParent();
            return null == target ? null : target.resolve("native").resolve(EXECUTABLE_FILE);
        }
        catch (final URISyntaxException | RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * @return why the baseline cannot run (naming the missing package when the build said so), or null if it can.
     */
    static String unavailable()
    {
        final Path executable = executable();
        if (null == executable)
        {
            return "cannot locate " + EXECUTABLE_FILE + " (set -D" + EXECUTABLE_PROPERTY + "=<path>)";
        }
        if (Files.isExecutable(executable))
        {
            return null;
        }
        final Path missing = executable.resolveSibling(MISSING_FILE);
        try
        {
            if (Files.isRegularFile(missing))
            {
                return Files.readString(missing, StandardCharsets.UTF_8).strip() + " (" + executable + " was not built)";
            }
        }
        catch (final IOException ignore)
        {
            // Fall through to the generic reason.
        }
        return executable + " does not exist: build the bench module on a machine with gcc, pkg-config and " +
            "libdpdk-dev (apt-get install dpdk libdpdk-dev)";
    }

    /**
     * Runs the pair once: latency for each size, then throughput at 64 B.
     *
     * @throws IllegalStateException if either process fails; both are gone and their files removed by then.
     */
    static Result run(
        final int calls, final int warmup, final double seconds, final int inFlight, final int[] sizes,
        final Consumer<String> progress)
    {
        final String tag = "rum-bench-" + ProcessHandle.current().pid() + "-c";
        final Path socket = Path.of(System.getProperty("java.io.tmpdir"), tag + ".sock");
        final String memif = "id=0,socket=" + socket + ",socket-abstract=no,bsize=10240";
        final int[] cpus = twoCpus();
        final List<String> serverCommand = command(cpus[0], tag + "-srv", "net_memif0,role=server," + memif);
        serverCommand.add("server");
        final List<String> clientCommand = command(cpus[1], tag + "-cli", "net_memif0,role=client," + memif);
        clientCommand.addAll(List.of("client", Integer.toString(calls), Integer.toString(warmup),
            Double.toString(seconds), Integer.toString(inFlight)));
        for (final int size : sizes)
        {
            clientCommand.add(Integer.toString(size));
        }
        Process server = null;
        Process client = null;
        Path serverLog = null;
        Path clientLog = null;
        try
        {
            Files.deleteIfExists(socket);
            serverLog = Files.createTempFile(tag + "-srv", ".log");
            clientLog = Files.createTempFile(tag + "-cli", ".log");
            server = new ProcessBuilder(serverCommand).redirectError(serverLog.toFile()).start();
            final BufferedReader serverOut = reader(server);
            final String listening = serverOut.readLine();
            if (null == listening || !listening.startsWith("LISTENING"))
            {
                throw new IllegalStateException("memif_pingpong server did not start: " + tail(serverLog));
            }
            client = new ProcessBuilder(clientCommand).redirectError(clientLog.toFile()).start();
            final BufferedReader clientOut = reader(client);
            final List<Latency> latencies = new ArrayList<>();
            String placement = "server " + placement(listening);
            double rate = Double.NaN;
            long lost = 0;
            String line;
            while (null != (line = clientOut.readLine()))
            {
                final Map<String, String> fields = fields(line);
                if (line.startsWith("CLIENT "))
                {
                    placement += ", client " + placement(line);
                    progress.accept("raw C memif: " + placement);
                }
                else if (line.startsWith("LATENCY "))
                {
                    final Latency latency = new Latency(Integer.parseInt(fields.get("size")),
                        Long.parseLong(fields.get("n")), Long.parseLong(fields.get("lost")),
                        Long.parseLong(fields.get("p50")), Long.parseLong(fields.get("p99")),
                        Long.parseLong(fields.get("p999")));
                    latencies.add(latency);
                    progress.accept(String.format(java.util.Locale.ROOT,
                        "raw C memif, %d B: p50 %.2f us, p99 %.2f us, p99.9 %.2f us (%d round trips, %d lost)",
                        latency.size(), latency.p50Ns() / 1e3, latency.p99Ns() / 1e3, latency.p999Ns() / 1e3,
                        latency.count(), latency.lost()));
                }
                else if (line.startsWith("THROUGHPUT "))
                {
                    rate = Double.parseDouble(fields.get("rate"));
                    lost = Long.parseLong(fields.get("lost"));
                    progress.accept(String.format(java.util.Locale.ROOT, "raw C memif: %,.0f round trips/s, %d in flight",
                        rate, inFlight));
                }
            }
            final int clientExit = waitFor(client);
            if (clientExit != 0 || latencies.size() != sizes.length || Double.isNaN(rate))
            {
                throw new IllegalStateException("memif_pingpong client failed (exit " + clientExit + "): " +
                    tail(clientLog));
            }
            final int serverExit = waitFor(server);
            if (serverExit != 0)
            {
                progress.accept("raw C memif: the server exited with " + serverExit + " after the run: " +
                    tail(serverLog));
            }
            return new Result(List.copyOf(latencies), rate, inFlight, lost, placement);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        finally
        {
            stop(client);
            stop(server);
            deleteQuietly(socket);
            deleteQuietly(serverLog);
            deleteQuietly(clientLog);
            deleteTree(Eal.runtimeDirectory(tag + "-srv"));
            deleteTree(Eal.runtimeDirectory(tag + "-cli"));
        }
    }

    private static List<String> command(final int cpu, final String filePrefix, final String vdev)
    {
        return new ArrayList<>(List.of(String.valueOf(executable()), "--no-huge", "--no-pci", "--no-telemetry",
            "-m", Integer.toString(MEMORY_MB), "-l", Integer.toString(cpu), "--file-prefix=" + filePrefix,
            "--vdev=" + vdev, "--"));
    }

    /**
     * @return the first two CPUs this process may use (server, client); the same one twice on a single CPU.
     */
    static int[] twoCpus()
    {
        final List<Integer> cpus = new ArrayList<>();
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status")))
        {
            final String list = lines.filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("");
            for (final String range : list.split(","))
            {
                if (range.isBlank())
                {
                    continue;
                }
                final String[] ends = range.split("-");
                final int from = Integer.parseInt(ends[0].strip());
                final int to = ends.length > 1 ? Integer.parseInt(ends[1].strip()) : from;
                for (int cpu = from; cpu <= to && cpus.size() < 2; cpu++)
                {
                    cpus.add(cpu);
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // Not Linux as we know it: CPUs 0 and 1.
        }
        if (cpus.isEmpty())
        {
            return new int[] {0, Runtime.getRuntime().availableProcessors() > 1 ? 1 : 0};
        }
        return new int[] {cpus.getFirst(), cpus.getLast()};
    }

    private static String placement(final String line)
    {
        final Map<String, String> fields = fields(line);
        return "-l " + fields.get("lcore") + " (CPU " + fields.get("cpu") + ")";
    }

    private static Map<String, String> fields(final String line)
    {
        final Map<String, String> fields = new HashMap<>();
        for (final String word : line.split(" "))
        {
            final int equals = word.indexOf('=');
            if (equals > 0)
            {
                fields.put(word.substring(0, equals), word.substring(equals + 1));
            }
        }
        return fields;
    }

    private static BufferedReader reader(final Process process)
    {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    private static int waitFor(final Process process)
    {
        try
        {
            if (!process.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                return -1;
            }
            return process.exitValue();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * SIGTERM first (the program then cleans EAL up), SIGKILL if that is not enough.
     */
    private static void stop(final Process process)
    {
        if (null == process || !process.isAlive())
        {
            return;
        }
        process.destroy();
        if (waitFor(process) == -1)
        {
            process.destroyForcibly();
            waitFor(process);
        }
    }

    private static String tail(final Path log)
    {
        try
        {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        }
        catch (final IOException ex)
        {
            return "(no log: " + ex.getMessage() + ")";
        }
    }

    static void deleteQuietly(final Path path)
    {
        if (null == path)
        {
            return;
        }
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            System.err.println("[bench] cannot delete " + path + ": " + ex.getMessage());
        }
    }

    static void deleteTree(final Path dir)
    {
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
            System.err.println("[bench] cannot delete " + dir + ": " + ex.getMessage());
        }
    }
}
