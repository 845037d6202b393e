package io.rum.slave;

import io.rum.net.Transports;

import io.rum.net.config.ConfigException;
import io.rum.net.config.Machines;
import io.rum.net.config.MachinesCsv;
import io.rum.heartbeat.HeartbeatConfig;
import io.rum.net.config.NodeSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./rum slave --config machines.csv --id <id> [--memory 4g] [--max-regions N] [--cpu N]
 * [--inject-loss RATE] [--exit-on-stdin-eof]}. The slave watches the other slaves of the file with heartbeats and
 * logs every change of their state; {@code --cpu} pins its transport's poller thread to that CPU (a core of its
 * own, as DPDK deployments give their pollers); {@code --inject-loss} drops that share of its outgoing frames
 * (chaos runs).
 *
 * <p>Prints a start-up line to standard error and {@code slave <id> ready on <medium>} to standard output once
 * it serves. Stops cleanly on SIGTERM or SIGINT (a shutdown hook closes the server) and, with
 * {@code --exit-on-stdin-eof}, when standard input closes: a test that starts a slave process holds its stdin,
 * so the child never outlives the test. Exit codes: 0 after a clean stop, 2 for a usage or configuration
 * mistake (a machines.csv error is printed as {@code file:line: problem}), 1 if the slave cannot start.
 */
public final class SlaveMain
{
    /** Exit code of a usage or configuration mistake. */
    public static final int EXIT_CONFIG = 2;
    /** Exit code of a failure to start. */
    public static final int EXIT_FAILURE = 1;

    private static final String USAGE =
        "usage: slave --config machines.csv --id <id> [--memory 4g] [--max-regions N] [--cpu N] " +
            "[--inject-loss RATE] [--exit-on-stdin-eof]";

    private SlaveMain()
    {
    }

    public static void main(final String[] args)
    {
        final int code = run(args, System.out, System.err, System.in);
        if (code != 0)
        {
            System.exit(code);
        }
    }

    /**
     * Runs a slave until it is told to stop.
     *
     * @return the exit code.
     */
    static int run(final String[] args, final PrintStream out, final PrintStream err, final InputStream in)
    {
        Path config = null;
        int id = -1;
        long memory = SlaveConfiguration.DEFAULT_MEMORY_BYTES;
        int maxRegions = SlaveConfiguration.DEFAULT_MAX_REGIONS;
        boolean exitOnStdinEof = false;
        double injectLoss = 0;
        int cpu = -1;
        try
        {
            for (int i = 0; i < args.length; i++)
            {
                switch (args[i])
                {
                    case "--config" -> config = Path.of(value(args, ++i, "--config"));
                    case "--id" -> id = parseInt(value(args, ++i, "--id"), "--id");
                    case "--memory" -> memory = SlaveConfiguration.parseSize(value(args, ++i, "--memory"));
                    case "--max-regions" -> maxRegions = parseInt(value(args, ++i, "--max-regions"), "--max-regions");
                    case "--exit-on-stdin-eof" -> exitOnStdinEof = true;
                    case "--inject-loss" -> injectLoss = parseRate(value(args, ++i, "--inject-loss"));
                    case "--cpu" -> cpu = parseCpu(value(args, ++i, "--cpu"));
                    case "-h", "--help" ->
                    {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown argument \"" + args[i] + "\"");
                }
            }
            if (null == config || id < 0)
            {
                throw new IllegalArgumentException(null == config ? "--config is required" : "--id is required");
            }
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("slave: " + ex.getMessage());
            err.println(USAGE);
            return EXIT_CONFIG;
        }

        final Machines machines;
        final SlaveConfiguration configuration;
        try
        {
            machines = MachinesCsv.parse(config);
            final NodeSpec node = machines.find(id).orElse(null);
            if (null == node)
            {
                throw new IllegalArgumentException("node " + id + " is not in " + config);
            }
            if (!node.isSlave())
            {
                throw new IllegalArgumentException("node " + id + " in " + config + " is a " + node.role().csvName()
                    + ", not a slave");
            }
            if (!node.hasUdp())
            {
                throw new IllegalArgumentException("node " + id + " in " + config + " has no udp address");
            }
            configuration = new SlaveConfiguration(memory, maxRegions);
        }
        catch (final ConfigException | IllegalArgumentException ex)
        {
            err.println("slave: " + ex.getMessage());
            return EXIT_CONFIG;
        }

        final SlaveServer server;
        try
        {
            if (injectLoss > 0)
            {
                final long seed = System.nanoTime();
                err.println("slave " + id + ": dropping " + injectLoss * 100 + "% of outgoing frames (seed " + seed + ")");
                server = SlaveServer.udpWithLoss(machines, id, configuration, injectLoss, seed);
            }
            else
            {
                // Kernel UDP unless -Drum.transport names another medium (dpdk, auto: see Transports.create).
                server = null == System.getProperty(Transports.TRANSPORT_PROPERTY)
                    ? SlaveServer.udp(machines, id, configuration)
                    : SlaveServer.create(machines, id, configuration);
            }
            if (cpu >= 0)
            {
                server.transport().pinPoller(cpu);
            }
            final int self = id;
            final int[] peers = machines.slaves().stream().mapToInt(NodeSpec::id).filter(n -> n != self).toArray();
            if (peers.length > 0)
            {
                server.startMembership(peers, HeartbeatConfig.defaults(), (node, from, to, nowNs) -> { });
            }
        }
        catch (final RuntimeException ex)
        {
            err.println("slave " + id + ": cannot start: " + ex);
            return EXIT_FAILURE;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            server.close();
            stop.countDown();
        }, "slave-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        err.println(server.describe());
        out.println("slave " + id + " ready on " + server.mediumName());
        out.flush();
        if (exitOnStdinEof)
        {
            final Thread watcher = new Thread(() ->
            {
                try
                {
                    final byte[] sink = new byte[256];
                    while (in.read(sink) >= 0)
                    {
                        // Input is ignored; only its end matters.
                    }
                }
                catch (final IOException ignore)
                {
                    // A broken stdin is a closed one.
                }
                stop.countDown();
            }, "slave-stdin-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
        try
        {
            stop.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        server.close();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ignore)
        {
            // Already shutting down: the hook is running or ran.
        }
        err.println("slave " + id + ": stopped");
        return 0;
    }

    private static String value(final String[] args, final int i, final String option)
    {
        if (i >= args.length)
        {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static double parseRate(final String text)
    {
        try
        {
            final double rate = Double.parseDouble(text);
            if (rate >= 0 && rate < 1)
            {
                return rate;
            }
        }
        catch (final NumberFormatException ignore)
        {
            // Reported below.
        }
        throw new IllegalArgumentException("bad --inject-loss \"" + text + "\": expected a rate in [0, 1)");
    }

    private static int parseCpu(final String value)
    {
        final int cpu = parseInt(value, "--cpu");
        if (!io.rum.net.os.CpuAffinity.allowed(cpu))
        {
            throw new IllegalArgumentException("--cpu " + value + ": not a CPU this process may run on");
        }
        return cpu;
    }

    private static int parseInt(final String text, final String option)
    {
        try
        {
            return Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad " + option + " \"" + text + "\": expected an integer", ex);
        }
    }
}
