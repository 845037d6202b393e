package io.rum.bench;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One way of doing request/response round trips, measured by {@link TransportBench}.
 */
interface RoundTripper extends AutoCloseable
{
    String name();

    /**
     * One blocking round trip of a request of {@code length} bytes; the response echoes it.
     */
    void roundTrip(UnsafeBuffer request, int length);

    /**
     * Keeps {@code inFlight} requests outstanding for {@code seconds}.
     *
     * @return completed round trips per second.
     */
    double throughput(int inFlight, double seconds, int length);

    @Override
    void close();
}
