package io.rum.bench;

/**
 * Command-line options shared by the benchmarks.
 *
 * @param calls   measured calls per latency row.
 * @param warmup  calls before measuring, so the JIT has compiled the path.
 * @param seconds seconds per throughput row.
 * @param write   whether to update docs/BENCHMARKS.md.
 * @param quick   a smoke run.
 * @param idle    the pollers' idle strategy: backoff (the default of a node), yield or spin.
 */
public record BenchOptions(int calls, int warmup, double seconds, boolean write, boolean quick, String idle)
{
    public static BenchOptions parse(final String[] args)
    {
        int calls = 50_000;
        int warmup = 30_000;
        double seconds = 3;
        boolean write = true;
        boolean quick = false;
        String idle = "backoff";
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--quick" ->
                {
                    quick = true;
                    calls = 2_000;
                    warmup = 2_000;
                    seconds = 0.5;
                }
                case "--calls" -> calls = Integer.parseInt(value(args, ++i, "--calls"));
                case "--seconds" -> seconds = Double.parseDouble(value(args, ++i, "--seconds"));
                case "--no-write" -> write = false;
                case "--idle" -> idle = value(args, ++i, "--idle");
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
        }
        if (calls <= 0 || seconds <= 0)
        {
            throw new IllegalArgumentException("--calls and --seconds must be positive");
        }
        if (!idle.equals("backoff") && !idle.equals("yield") && !idle.equals("spin"))
        {
            throw new IllegalArgumentException("--idle takes backoff, yield or spin");
        }
        return new BenchOptions(calls, warmup, seconds, write && !quick && idle.equals("backoff"), quick, idle);
    }

    private static String value(final String[] args, final int i, final String option)
    {
        if (i >= args.length)
        {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    org.agrona.concurrent.IdleStrategy idleStrategy()
    {
        return idleStrategy(idle);
    }

    /**
     * @param name backoff (a node's default), yield or spin.
     */
    static org.agrona.concurrent.IdleStrategy idleStrategy(final String name)
    {
        return switch (name)
        {
            case "spin" -> new org.agrona.concurrent.BusySpinIdleStrategy();
            case "yield" -> new org.agrona.concurrent.YieldingIdleStrategy();
            case "backoff" -> io.rum.net.reliability.ReliableTransport.defaultIdleStrategy();
            default -> throw new IllegalArgumentException("idle strategy backoff, yield or spin, not " + name);
        };
    }

    String commandLineSuffix()
    {
        return (quick ? " --quick" : "") + (idle.equals("backoff") ? "" : " --idle " + idle);
    }
}
