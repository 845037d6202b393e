package io.rum.bench.jmh;

import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.FrameValidator;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * The per-frame cost of the codec: build a request fragment, seal it (CRC32C) and validate it as a receiver
 * does, against the baseline of copying the same bytes with no codec at all.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBenchmark
{
    @Param({"64", "1024", "8128"})
    public int payload;

    private final FragmentFlyweight fragment = new FragmentFlyweight();
    private UnsafeBuffer frame;
    private UnsafeBuffer source;
    private FrameValidator validator;

    @Setup
    public void setUp()
    {
        frame = new UnsafeBuffer(new byte[FragmentFlyweight.PAYLOAD_OFFSET + payload]);
        source = new UnsafeBuffer(new byte[payload]);
        for (int i = 0; i < payload; i++)
        {
            source.putByte(i, (byte)i);
        }
        fragment.wrap(frame, 0);
        validator = new FrameValidator(64 * 1024 * 1024, 65_536);
    }

    @Benchmark
    public int copyOnlyBaseline()
    {
        frame.putBytes(FragmentFlyweight.PAYLOAD_OFFSET, source, 0, payload);
        return frame.getInt(FragmentFlyweight.PAYLOAD_OFFSET);
    }

    @Benchmark
    public int encodeSealValidate()
    {
        final int length = FragmentFlyweight.PAYLOAD_OFFSET + payload;
        fragment.writeHeader(FrameType.REQUEST, length, 1, 2, 42, 43);
        fragment.writeBody(3, payload, payload, 0, 7);
        frame.putBytes(FragmentFlyweight.PAYLOAD_OFFSET, source, 0, payload);
        fragment.seal();
        return validator.validate(frame, 0, length);
    }
}
