package io.rum.net.transport;

import io.rum.net.medium.FaultPlan;
import io.rum.net.transport.TransportCounters.Counter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server node in a child JVM running {@link ContractServerMain}, optionally inside a network namespace
 * (a command prefix such as {@code ip netns exec ns}). The child dies with its standard input, so a crashed test
 * leaves no process behind; {@link #close()} also kills it after a grace period.
 */
public final class RemoteServerNode implements ServerNode
{
    private final Process process;
    private final PrintStream commands;
    private final BufferedReader replies;

    /**
     * @param prefix     command words before {@code java}, e.g. {@code ip netns exec rum-b}; may be empty.
     * @param jvmOptions extra JVM options for the child.
     * @param seed       fault-injection seed.
     * @param mediumSpec the medium, see {@link MediumSpecs}.
     */
    public RemoteServerNode(
        final List<String> prefix, final List<String> jvmOptions, final long seed, final List<String> mediumSpec)
    {
        final List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true", "-cp", System.getProperty("java.class.path")));
        command.addAll(jvmOptions);
        command.add(ContractServerMain.class.getName());
        command.add(Long.toString(seed));
        command.addAll(mediumSpec);
        try
        {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + command, ex);
        }
        commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    private synchronized String ask(final String command)
    {
        commands.println(command);
        try
        {
            final String reply = replies.readLine();
            if (null == reply)
            {
                throw new IllegalStateException("server process exited (" + command + ")");
            }
            if (!reply.startsWith("OK"))
            {
                throw new IllegalStateException("server process: " + reply + " (" + command + ")");
            }
            return reply.length() > 3 ? reply.substring(3) : "";
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void start()
    {
        ask("start");
    }

    @Override
    public void stop()
    {
        ask("stop");
    }

    @Override
    public void applyPlan(final FaultPlan plan)
    {
        final StringBuilder sb = new StringBuilder("plan ").append(plan.dropRate()).append(' ')
            .append(plan.duplicateRate()).append(' ').append(plan.reorderRate()).append(' ')
            .append(plan.delayRate()).append(' ').append(plan.maxDelayNs());
        for (final long link : plan.cutLinks())
        {
            sb.append(' ').append((int)(link >>> 32)).append('>').append((int)link);
        }
        ask(sb.toString());
    }

    @Override
    public long executedTotal()
    {
        return Long.parseLong(ask("executed"));
    }

    @Override
    public Map<Long, Integer> executions()
    {
        return ContractServerMain.parseExecutions(ask("executions"));
    }

    @Override
    public long counter(final Counter counter)
    {
        return Long.parseLong(ask("counter " + counter.name()));
    }

    @Override
    public long reassemblyBytes()
    {
        return Long.parseLong(ask("reassembly"));
    }

    @Override
    public long checkedDelivered()
    {
        return Long.parseLong(ask("checked"));
    }

    @Override
    public String firstStreamFailure()
    {
        final String failure = ask("failure");
        return failure.equals("-") ? null : failure;
    }

    @Override
    public List<Long> recorded()
    {
        final String text = ask("recorded").trim();
        return text.isEmpty() ? List.of() : Arrays.stream(text.split(" ")).map(Long::valueOf).toList();
    }

    @Override
    public int publisherRestarts()
    {
        return Integer.parseInt(ask("restarts"));
    }

    @Override
    public String describe()
    {
        return "remote pid " + process.pid() + ": " + ask("describe");
    }

    @Override
    public void close()
    {
        try
        {
            if (process.isAlive())
            {
                try
                {
                    System.out.println("  " + describe());
                }
                catch (final RuntimeException ignore)
                {
                    // The child is already going away; its state no longer matters.
                }
            }
            commands.close();
            if (!process.waitFor(5, TimeUnit.SECONDS))
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
}
