package io.rum.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A server of {@code ./rum bench peers} in a JVM of its own (a Hazelcast member, a RUM slave), started with this
 * JVM's class path. The child is told to stop by closing its standard input (both servers exit on EOF), so it
 * never outlives this JVM even when this JVM is killed; {@link #close()} and a shutdown hook also kill it if it
 * does not exit in time.
 *
 * <p>Its standard output is read by a thread of its own into a bounded queue (a child that logs a lot must never
 * block on a full pipe, nor fill this JVM's memory); standard error goes to a temporary file, whose tail is quoted
 * when the child fails.
 */
final class ChildJvm implements AutoCloseable
{
    private static final long EXIT_TIMEOUT_MS = 10_000;
    private static final int MAX_QUEUED_LINES = 1024;
    private static final String END = "\u0000end";

    private final String name;
    private final Process process;
    private final Path errorLog;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(MAX_QUEUED_LINES);
    private final Thread reader;
    private final Thread hook;
    private volatile String readyLine;

    private ChildJvm(final String name, final Process process, final Path errorLog)
    {
        this.name = name;
        this.process = process;
        this.errorLog = errorLog;
        this.reader = Thread.ofPlatform().name("peers-" + name + "-stdout").daemon().unstarted(this::pump);
        this.hook = Thread.ofPlatform().name("peers-" + name + "-kill").unstarted(process::destroyForcibly);
    }

    /**
     * The child's side: returns when this process's standard input ends, which is how its parent says stop (also
     * when the parent dies). Input carries no commands.
     */
    static void awaitEndOfInput(final InputStream in)
    {
        final byte[] sink = new byte[256];
        try
        {
            while (in.read(sink) >= 0)
            {
                // Input carries no commands: its end is the signal to stop.
                Thread.onSpinWait();
            }
        }
        catch (final IOException ex)
        {
            // The parent is gone: stop as on EOF.
        }
    }

    /**
     * The command of a child JVM: this JVM's {@code java} and class path, the flags RUM needs, then {@code jvmOptions},
     * the main class and its arguments.
     */
    static List<String> command(final List<String> jvmOptions, final String mainClass, final List<String> arguments)
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "-Djava.net.preferIPv4Stack=true"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(arguments);
        return command;
    }

    /**
     * Starts the child and waits for a line of its standard output that starts with {@code ready}.
     *
     * @return the running child; its ready line is {@link #readyLine()}.
     * @throws IllegalStateException if it exits, prints something else first, or says nothing in time; it is
     *                               gone by then.
     */
    static ChildJvm start(final String name, final List<String> command, final String ready, final long timeoutMs)
    {
        Path errorLog = null;
        ChildJvm child = null;
        try
        {
            errorLog = Files.createTempFile("rum-bench-" + name, ".log");
            final Process process = new ProcessBuilder(command).redirectError(errorLog.toFile()).start();
            child = new ChildJvm(name, process, errorLog);
            Runtime.getRuntime().addShutdownHook(child.hook);
            child.reader.start();
            final String line = child.lines.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (null == line || line.equals(END) || !line.startsWith(ready))
            {
                throw new IllegalStateException(name + " did not start: " +
                    (null == line ? "nothing printed in " + timeoutMs + " ms" :
                        line.equals(END) ? "exited with " + exitCode(process) : "printed \"" + line + "\"") +
                    "; " + tail(errorLog));
            }
            child.readyLine = line;
            return child;
        }
        catch (final IOException ex)
        {
            if (null != child)
            {
                child.close();
            }
            MemifPingPong.deleteQuietly(errorLog);
            throw new UncheckedIOException("cannot start " + name, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            if (null != child)
            {
                child.close();
            }
            throw new IllegalStateException("interrupted while starting " + name, ex);
        }
        catch (final RuntimeException ex)
        {
            if (null != child)
            {
                child.close();
            }
            else
            {
                MemifPingPong.deleteQuietly(errorLog);
            }
            throw ex;
        }
    }

    String readyLine()
    {
        return readyLine;
    }

    long pid()
    {
        return process.pid();
    }

    private void pump()
    {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = out.readLine()))
            {
                // Past the ready line nothing waits for output: a full queue drops lines rather than block the child.
                if (!lines.offer(line))
                {
                    lines.poll();
                    lines.offer(line);
                }
            }
        }
        catch (final IOException ignore)
        {
            // The child is gone: its end is reported below.
        }
        lines.poll();
        lines.offer(END);
    }

    /**
     * Closes the child's standard input (its signal to stop), waits for it, kills it if it does not exit in time,
     * and removes its log.
     */
    @Override
    public void close()
    {
        try
        {
            process.getOutputStream().close();
        }
        catch (final IOException ignore)
        {
            // Its input is already closed: it is stopping or gone.
        }
        try
        {
            if (!process.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                System.out.println("[bench] " + name + " did not stop within " + EXIT_TIMEOUT_MS + " ms: killed");
                process.destroyForcibly().waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            reader.join(EXIT_TIMEOUT_MS);
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ignore)
        {
            // This JVM is shutting down: the hook runs anyway and finds the child gone.
        }
        MemifPingPong.deleteQuietly(errorLog);
    }

    /**
     * Hands every line the child has printed since its ready line to {@code sink}.
     */
    void drain(final Consumer<String> sink)
    {
        String line;
        while (null != (line = lines.poll()))
        {
            if (!line.equals(END))
            {
                sink.accept(line);
            }
        }
    }

    String errorTail()
    {
        return tail(errorLog);
    }

    private static String exitCode(final Process process)
    {
        try
        {
            return process.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS) ? Integer.toString(process.exitValue()) : "?";
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    private static String tail(final Path log)
    {
        try
        {
            final List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            final List<String> last = all.subList(Math.max(0, all.size() - 4), all.size());
            return last.isEmpty() ? "(nothing on its stderr)" : "stderr: " + String.join(" | ", last);
        }
        catch (final IOException | UncheckedIOException ex)
        {
            return "(no stderr log: " + ex.getMessage() + ")";
        }
    }
}
