package io.rum.bench.jmh;

import io.rum.net.medium.InProcessNetwork;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * One 64-byte RPC round trip through the in-process transport, for JMH's {@code -prof gc}: the bytes allocated
 * per call (all threads) are the figure that matters here; the time is better read from
 * {@code ./rum bench transport}, which reports percentiles.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RoundTripBenchmark
{
    private ReliableTransport server;
    private ReliableTransport client;
    private RpcClient rpc;
    private final UnsafeBuffer request = new UnsafeBuffer(new byte[64]);

    @Setup(Level.Trial)
    public void setUp()
    {
        final InProcessNetwork network = new InProcessNetwork();
        server = ReliableTransport.create(TransportConfig.defaults(2), network.attach(2)).start();
        client = ReliableTransport.create(TransportConfig.defaults(1), network.attach(1)).start();
        server.serve((src, req, offset, length, response) ->
        {
            response.buffer(length).putBytes(0, req, offset, length);
            response.length(length);
        });
        rpc = client.rpcClient(2);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        client.close();
        server.close();
    }

    @Benchmark
    public int roundTrip64B()
    {
        final int status = rpc.call(request, 0, 64, null, TimeUnit.SECONDS.toNanos(5));
        if (status != RpcStatus.OK)
        {
            throw new IllegalStateException(RpcStatus.describe(status));
        }
        return status;
    }
}
