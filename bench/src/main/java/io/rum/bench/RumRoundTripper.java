package io.rum.bench;

import io.rum.net.reliability.ReliableTransport;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * Round trips through RUM's transport between two nodes in this JVM, each with its own poller thread; the
 * server echoes the request.
 */
final class RumRoundTripper implements RoundTripper
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final String name;
    private final ReliableTransport client;
    private final Runnable closeServer;
    private final RpcClient rpc;

    RumRoundTripper(final String name, final ReliableTransport client, final ReliableTransport server)
    {
        this(name, client, echo(server).nodeId(), server::close);
    }

    /**
     * @param serverNodeId a node that echoes requests, wherever it runs.
     * @param closeServer  run on {@link #close()} after the client is closed.
     */
    RumRoundTripper(final String name, final ReliableTransport client, final int serverNodeId,
        final Runnable closeServer)
    {
        this.name = name;
        this.client = client;
        this.closeServer = closeServer;
        this.rpc = client.rpcClient(serverNodeId);
    }

    private static ReliableTransport echo(final ReliableTransport server)
    {
        server.serve((src, request, offset, length, response) ->
        {
            response.buffer(length).putBytes(0, request, offset, length);
            response.length(length);
        });
        return server;
    }

    @Override
    public String name()
    {
        return name;
    }

    ReliableTransport client()
    {
        return client;
    }

    @Override
    public void roundTrip(final UnsafeBuffer request, final int length)
    {
        final int status = rpc.call(request, 0, length, null, TIMEOUT_NS);
        if (status != RpcStatus.OK)
        {
            throw new IllegalStateException(name + ": " + RpcStatus.describe(status));
        }
    }

    @Override
    public double throughput(final int inFlight, final double seconds, final int length)
    {
        final PendingCall[] calls = new PendingCall[inFlight];
        for (int i = 0; i < inFlight; i++)
        {
            calls[i] = rpc.begin(TIMEOUT_NS);
            calls[i].request(length);
            calls[i].send(length, TIMEOUT_NS);
        }
        final long start = System.nanoTime();
        final long endNs = start + (long)(seconds * 1e9);
        long completed = 0;
        int i = 0;
        while (System.nanoTime() - endNs < 0)
        {
            final PendingCall call = calls[i];
            if (call.await() != RpcStatus.OK)
            {
                throw new IllegalStateException(name + ": " + RpcStatus.describe(call.status()));
            }
            completed++;
            call.release();
            final PendingCall next = rpc.begin(TIMEOUT_NS);
            next.request(length);
            next.send(length, TIMEOUT_NS);
            calls[i] = next;
            i = (i + 1) % inFlight;
        }
        final double elapsed = (System.nanoTime() - start) / 1e9;
        for (final PendingCall call : calls)
        {
            call.await();
            call.release();
        }
        return completed / elapsed;
    }

    @Override
    public void close()
    {
        client.close();
        closeServer.run();
    }
}
