package io.rum.bench;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./rum bench jmh [regex]}: the JMH benchmarks in {@code io.rum.bench.jmh}, one fork, with the GC profiler
 * so every result comes with its allocation per operation; the table goes to docs/BENCHMARKS.md.
 */
final class JmhBench
{
    private JmhBench()
    {
    }

    /**
     * @return the results as a markdown table.
     */
    static String run(final String[] args) throws RunnerException
    {
        final Options options = new OptionsBuilder()
            .include(args.length > 0 ? args[0] : "io\\.rum\\.bench\\.jmh\\..*")
            .forks(1)
            .warmupIterations(3)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(5)
            .measurementTime(TimeValue.seconds(1))
            .jvmArgsAppend("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC")
            .addProfiler(GCProfiler.class)
            .build();
        final Collection<RunResult> results = new Runner(options).run();
        final StringBuilder sb = new StringBuilder();
        sb.append("JMH, 1 fork, 3 × 1 s warm-up, 5 × 1 s measurement, `-prof gc`. The copy-only row is the baseline ")
            .append("of the codec rows at the same payload.\n\n")
            .append("| benchmark | params | score | error | unit | allocated B/op |\n|---|---|---:|---:|---|---:|\n");
        for (final RunResult result : results)
        {
            final Result<?> primary = result.getPrimaryResult();
            final Result<?> alloc = secondaryResult(result, "gc.alloc.rate.norm");
            final String name = result.getParams().getBenchmark();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | ± %.3f | %s | %s |%n",
                name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
                result.getParams().getParamsKeys().stream().map(k -> k + "=" + result.getParams().getParam(k))
                    .reduce((a, b) -> a + " " + b).orElse("-"),
                primary.getScore(), primary.getScoreError(), primary.getScoreUnit(),
                null == alloc ? "n/a" : String.format(Locale.ROOT, "%.3f", alloc.getScore())));
        }
        return sb.toString();
    }

    // JMH's API hands out a raw Map<String, Result>: look the one result up and give it a wildcard type.
    @SuppressWarnings("rawtypes")
    private static Result<?> secondaryResult(final RunResult result, final String name)
    {
        final Map<String, Result> secondary = result.getSecondaryResults();
        return secondary.get(name);
    }
}
