package io.rum.net.reliability;

import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import org.agrona.concurrent.UnsafeBuffer;

/** The protocol's CPU per call, one thread, rpc.call as the bench makes it, over SealWireMedium; ROUNDS x 2M calls. */
public final class LoopExp
{
    public static void main(String[] args)
    {
        int size = Integer.parseInt(args[0]);
        SealWireMedium a = new SealWireMedium(2), b = new SealWireMedium(1); a.peer = b; b.peer = a;
        ReliableTransport server = ReliableTransport.create(TransportConfig.defaults(2), b);
        ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(1), a);
        server.serve((src, request, offset, length, response) -> { response.buffer(length).putBytes(0, request, offset, length); response.length(length); });
        RpcClient rpc = client.rpcClient(2);
        UnsafeBuffer req = new UnsafeBuffer(new byte[size]);
        int rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "6"));
        for (int round = 0; round < rounds; round++)
        {
            int n = 2_000_000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++)
            {
                PendingCall call = rpc.begin(1_000_000_000L);
                call.request(size).putBytes(0, req, 0, size);
                call.send(size, 1_000_000_000L);
                server.doWork();
                client.doWork();
                while (!call.isDone()) { server.doWork(); client.doWork(); }
                call.release();
            }
            System.out.printf("size %d: %.1f ns per call%n", size, (System.nanoTime() - t0) / (double)n);
        }
    }
}
