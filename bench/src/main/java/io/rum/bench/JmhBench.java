package io.rum.bench;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code ./rum bench jmh [regex]}: the JMH benchmarks in {@code io.rum.bench.jmh}, one fork, with the GC profiler
 * so every result comes with its allocation per operation.
 */
final class JmhBench
{
    private JmhBench()
    {
    }

    static void run(final String[] args) throws RunnerException
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
        new Runner(options).run();
    }
}
