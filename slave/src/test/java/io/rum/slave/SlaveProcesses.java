package io.rum.slave;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Slave processes for a test: a temporary machines.csv with free UDP ports on 127.0.0.1, and one child JVM
 * running {@link SlaveMain} {@code --exit-on-stdin-eof} per slave. A child dies with its standard input, so a
 * crashed test leaves no process behind; {@link #close()} closes the inputs and kills what does not exit.
 */
public final class SlaveProcesses implements AutoCloseable
{
    private final Path directory;
    private final Path machinesCsv;
    private final List<Process> processes = new ArrayList<>();
    private final List<ConcurrentLinkedQueue<String>> logs = new ArrayList<>();
    private final List<String> extraArgs;

    private SlaveProcesses(final Path directory, final Path machinesCsv, final List<String> extraArgs)
    {
        this.directory = directory;
        this.machinesCsv = machinesCsv;
        this.extraArgs = extraArgs;
    }

    /**
     * Starts {@code count} slaves (ids 1..count) of {@code memory} each and waits until each says it is ready.
     */
    public static SlaveProcesses start(final int count, final String memory)
    {
        return start(count, memory, List.of());
    }

    /**
     * Like {@link #start(int, String)}, with extra arguments for every slave (e.g. {@code --inject-loss 0.05}).
     */
    public static SlaveProcesses start(final int count, final String memory, final List<String> extraArgs)
    {
        final Path directory;
        try
        {
            directory = Files.createTempDirectory("rum-slaves");
            final StringBuilder csv = new StringBuilder("id,role,udp\n");
            for (int id = 1; id <= count; id++)
            {
                csv.append(id).append(",slave,127.0.0.1:").append(freeUdpPort()).append('\n');
            }
            Files.writeString(directory.resolve("machines.csv"), csv);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final SlaveProcesses slaves = new SlaveProcesses(directory, directory.resolve("machines.csv"), extraArgs);
        try
        {
            for (int id = 1; id <= count; id++)
            {
                slaves.startSlave(id, memory);
            }
        }
        catch (final RuntimeException ex)
        {
            slaves.close();
            throw ex;
        }
        return slaves;
    }

    public Path machinesCsv()
    {
        return machinesCsv;
    }

    /** @return what slave {@code id} has logged on standard output since it was ready. */
    public List<String> log(final int id)
    {
        return List.copyOf(logs.get(id - 1));
    }

    /**
     * Waits for a log line of slave {@code id} that contains {@code text}.
     *
     * @return the line, or null after the timeout.
     */
    public String awaitLog(final int id, final String text, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadline < 0)
        {
            for (final String line : logs.get(id - 1))
            {
                if (line.contains(text))
                {
                    return line;
                }
            }
            Thread.sleep(5);
        }
        return null;
    }

    /** @return the process of slave {@code id}. */
    public Process process(final int id)
    {
        return processes.get(id - 1);
    }

    /** Sends a signal (KILL, STOP, CONT) to a process. */
    public static void signal(final Process process, final String signal)
    {
        try
        {
            final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0)
            {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private void startSlave(final int id, final String memory)
    {
        final List<String> command = javaCommand(SlaveMain.class.getName());
        command.addAll(List.of("--config", machinesCsv.toString(), "--id", Integer.toString(id), "--memory", memory,
            "--exit-on-stdin-eof"));
        command.addAll(extraArgs);
        final Process process;
        try
        {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + command, ex);
        }
        processes.add(process);
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        try
        {
            final String line = out.readLine();
            if (null == line || !line.startsWith("slave " + id + " ready on udp"))
            {
                throw new IllegalStateException("slave " + id + " did not start: " + line);
            }
            // The slave keeps logging (membership changes, reclaimed leases): keep reading, so its pipe never
            // fills and blocks it, and so tests can wait for a line.
            final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
            logs.add(log);
            Thread.ofPlatform().name("slave-" + id + "-log").daemon().start(() ->
            {
                try
                {
                    String next;
                    while (null != (next = out.readLine()))
                    {
                        log.add(next);
                        System.out.println("  [slave " + id + "] " + next);
                    }
                }
                catch (final IOException ignore)
                {
                    // The slave exited.
                }
            });
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return the command that runs a main class of the test classpath in a small child JVM. */
    public static List<String> javaCommand(final String mainClass)
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true", "-cp", System.getProperty("java.class.path"), mainClass));
        return command;
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close()
    {
        for (final Process process : processes)
        {
            try
            {
                process.getOutputStream().close();
            }
            catch (final IOException ignore)
            {
                // Closing stdin of a dead process: nothing to do.
            }
        }
        for (final Process process : processes)
        {
            try
            {
                if (!process.waitFor(10, TimeUnit.SECONDS))
                {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try
        {
            Files.deleteIfExists(machinesCsv);
            Files.deleteIfExists(directory);
        }
        catch (final IOException ignore)
        {
            // A temporary file left behind is harmless.
        }
    }
}
