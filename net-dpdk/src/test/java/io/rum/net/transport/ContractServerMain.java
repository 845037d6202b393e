package io.rum.net.transport;

import io.rum.net.medium.FaultInjectingMedium;
import io.rum.net.medium.FaultPlan;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.concurrent.SystemNanoClock;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The server node of a contract test in its own JVM. Arguments: {@code <seed> <medium spec...>} (see
 * {@link MediumSpecs}). Reads one command a line on standard input and answers one line on standard output,
 * {@code OK ...} or {@code ERR ...}; exits when standard input closes, so it never outlives the test.
 */
public final class ContractServerMain
{
    private ContractServerMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final PrintStream protocol = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        final long seed = Long.parseLong(args[0]);
        final String[] spec = Arrays.copyOfRange(args, 1, args.length);
        final FaultPlan plan = FaultPlan.none();
        ReliableTransport transport = null;
        ServerRecorder recorder = null;
        int incarnation = 0;
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while (null != (line = in.readLine()))
        {
            final String[] words = line.trim().split(" ");
            try
            {
                switch (words[0])
                {
                    case "start" ->
                    {
                        if (null != transport)
                        {
                            transport.close();
                        }
                        recorder = new ServerRecorder();
                        transport = ReliableTransport.create(TransportConfig.defaults(TransportContractTest.SERVER),
                            new FaultInjectingMedium(MediumSpecs.create(spec), plan, seed + incarnation++,
                                SystemNanoClock.INSTANCE));
                        transport.serve(recorder.rpcHandler());
                        recorder.subscribe(transport);
                        transport.start();
                        protocol.println("OK " + transport.epoch());
                    }
                    case "stop" ->
                    {
                        if (null != transport)
                        {
                            transport.close();
                            transport = null;
                        }
                        protocol.println("OK");
                    }
                    case "plan" ->
                    {
                        plan.drop(Double.parseDouble(words[1])).duplicate(Double.parseDouble(words[2]))
                            .reorder(Double.parseDouble(words[3]))
                            .delay(Double.parseDouble(words[4]), Long.parseLong(words[5])).heal();
                        for (int i = 6; i < words.length; i++)
                        {
                            final String[] link = words[i].split(">");
                            plan.cut(Integer.parseInt(link[0]), Integer.parseInt(link[1]));
                        }
                        protocol.println("OK");
                    }
                    case "executed" -> protocol.println("OK " + recorder.executedTotal());
                    case "executions" -> protocol.println("OK " + recorder.executions().entrySet().stream()
                        .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(" ")));
                    case "counter" -> protocol.println("OK " + transport.counters().get(Counter.valueOf(words[1])));
                    case "reassembly" -> protocol.println("OK " + transport.reassemblyBytes());
                    case "checked" -> protocol.println("OK " + recorder.checkedDelivered());
                    case "failure" -> protocol.println("OK " + (null == recorder.firstStreamFailure() ? "-" :
                        recorder.firstStreamFailure()));
                    case "recorded" -> protocol.println("OK " + recorder.recorded().stream().map(String::valueOf)
                        .collect(Collectors.joining(" ")));
                    case "restarts" -> protocol.println("OK " + recorder.publisherRestarts());
                    case "describe" -> protocol.println("OK " + transport);
                    default -> protocol.println("ERR unknown command " + words[0]);
                }
            }
            catch (final RuntimeException ex)
            {
                protocol.println("ERR " + ex);
            }
        }
        if (null != transport)
        {
            transport.close();
        }
    }

    static Map<Long, Integer> parseExecutions(final String text)
    {
        return Arrays.stream(text.trim().split(" ")).filter(s -> !s.isEmpty())
            .collect(Collectors.toMap(s -> Long.parseLong(s.substring(0, s.indexOf(':'))),
                s -> Integer.parseInt(s.substring(s.indexOf(':') + 1))));
    }
}
