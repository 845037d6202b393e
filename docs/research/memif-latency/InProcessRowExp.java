package io.rum.bench;

import io.rum.net.medium.InProcessNetwork;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.HdrHistogram.Histogram;

/** Research: the transport table's in-process rows outside the bench JVM, after the same raw UDP rows ("udp"). */
public final class InProcessRowExp
{
    static void row(RoundTripper t, int size)
    {
        UnsafeBuffer req = new UnsafeBuffer(new byte[size]);
        long warm = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warm) t.roundTrip(req, size);
        Histogram h = new Histogram(10_000_000_000L, 3);
        for (int i = 0; i < 50_000; i++) { long s = System.nanoTime(); t.roundTrip(req, size); h.recordValue(System.nanoTime() - s); }
        System.out.printf("%s size %d: p50 %.2f us%n", t.name(), size, h.getValueAtPercentile(50) / 1e3);
    }
    public static void main(String[] args) throws Exception
    {
        if (args.length > 0 && args[0].equals("udp"))
        {
            try (RoundTripper u = new RawUdpRoundTripper()) { row(u, 64); row(u, 1024); row(u, 4096); u.throughput(8, 2.0, 64); }
        }
        InProcessNetwork network = new InProcessNetwork();
        var idle = BenchOptions.idleStrategy("backoff");
        ReliableTransport server = ReliableTransport.create(TransportConfig.defaults(2), network.attach(2)).start(BenchOptions.idleStrategy("backoff"));
        ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(1), network.attach(1)).start(idle);
        try (RoundTripper t = new RumRoundTripper("RUM in-process", client, server)) { row(t, 64); row(t, 1024); row(t, 4096); row(t, 64); }
    }
}
