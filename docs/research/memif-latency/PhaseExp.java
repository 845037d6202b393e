package io.rum.net.reliability;

import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import org.agrona.concurrent.UnsafeBuffer;

public final class PhaseExp
{
    public static void main(String[] args)
    {
        int size = Integer.parseInt(args[0]);
        WireMedium a = new WireMedium(2), b = new WireMedium(1); a.peer = b; b.peer = a;
        ReliableTransport server = ReliableTransport.create(TransportConfig.defaults(2), b);
        ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(1), a);
        server.serve((src, request, offset, length, response) -> { response.buffer(length).putBytes(0, request, offset, length); response.length(length); });
        RpcClient rpc = client.rpcClient(2);
        UnsafeBuffer req = new UnsafeBuffer(new byte[size]);
        // LOOP=1: no clock inside a call, only per round of 2,000,000 whole calls (ROUNDS of them): the CPU per call.
        if ("1".equals(System.getenv("LOOP")))
        {
            for (int round = 0, rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "6")); round < rounds; round++)
            {
                int n = 2_000_000;
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++)
                {
                    PendingCall call = rpc.begin(1_000_000_000L);
                    call.request(size).putBytes(0, req, 0, size);
                    call.send(size, 1_000_000_000L);
                    while (!call.isDone()) { server.doWork(); client.doWork(); }
                    call.release();
                }
                System.out.printf("size %d: %.1f ns per call%n", size, (System.nanoTime() - t0) / (double)n);
            }
            return;
        }
        for (int round = 0; round < 6; round++)
        {
            int n = 1_000_000;
            long[] ph = new long[6];
            for (int i = 0; i < n; i++)
            {
                long t0 = System.nanoTime();
                PendingCall call = rpc.begin(1_000_000_000L);
                call.request(size).putBytes(0, req, 0, size);
                long t1 = System.nanoTime();
                call.send(size, 1_000_000_000L);
                long t2 = System.nanoTime();
                server.doWork();
                long t3 = System.nanoTime();
                client.doWork();
                long t4 = System.nanoTime();
                while (!call.isDone()) { server.doWork(); client.doWork(); }
                call.release();
                long t5 = System.nanoTime();
                ph[0] += t1 - t0; ph[1] += t2 - t1; ph[2] += t3 - t2; ph[3] += t4 - t3; ph[4] += t5 - t4; ph[5] += t5 - t0;
            }
            System.out.printf("size %d: begin+copy %.0f, send(+cycle) %.0f, server cycle %.0f, client cycle %.0f, release %.0f, total %.0f (each incl. ~21 ns nanoTime)%n",
                size, ph[0]/(double)n, ph[1]/(double)n, ph[2]/(double)n, ph[3]/(double)n, ph[4]/(double)n, ph[5]/(double)n);
        }
    }
}
