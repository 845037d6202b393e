package io.rum.bench;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * The baseline: a bare UDP echo over loopback with no protocol at all, polled like our transport (a
 * non-blocking channel and the same backoff idle strategy on the echo side), so the ratio against it is the
 * price of sessions, checksums, acknowledgements and at-most-once execution.
 */
final class RawUdpRoundTripper implements RoundTripper
{
    private final DatagramChannel client;
    private final DatagramChannel server;
    private final InetSocketAddress serverAddress;
    private final Thread echo;
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(65_536);
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(65_536);
    private volatile boolean running = true;

    RawUdpRoundTripper()
    {
        try
        {
            final InetAddress loopback = InetAddress.getLoopbackAddress();
            server = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
            server.configureBlocking(false);
            serverAddress = (InetSocketAddress)server.getLocalAddress();
            client = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
            client.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        echo = Thread.ofPlatform().name("raw-udp-echo").daemon().start(this::echoLoop);
    }

    private void echoLoop()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
        final IdleStrategy idle = new BackoffIdleStrategy(100, 20, 1_000, 200_000);
        try
        {
            while (running)
            {
                buffer.clear();
                final java.net.SocketAddress from = server.receive(buffer);
                if (null == from)
                {
                    idle.idle();
                    continue;
                }
                idle.reset();
                buffer.flip();
                server.send(buffer, from);
            }
        }
        catch (final IOException ex)
        {
            if (running)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    @Override
    public String name()
    {
        return "raw UDP loopback (baseline)";
    }

    @Override
    public void roundTrip(final UnsafeBuffer request, final int length)
    {
        send(request, length);
        receive();
    }

    private void send(final UnsafeBuffer request, final int length)
    {
        try
        {
            sendBuffer.clear();
            request.getBytes(0, sendBuffer, length);
            sendBuffer.flip();
            client.send(sendBuffer, serverAddress);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private void receive()
    {
        try
        {
            int spins = 0;
            while (true)
            {
                receiveBuffer.clear();
                if (null != client.receive(receiveBuffer))
                {
                    return;
                }
                if (++spins > 200)
                {
                    Thread.yield();
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public double throughput(final int inFlight, final double seconds, final int length)
    {
        final UnsafeBuffer request = new UnsafeBuffer(new byte[length]);
        for (int i = 0; i < inFlight; i++)
        {
            send(request, length);
        }
        final long endNs = System.nanoTime() + (long)(seconds * 1e9);
        long completed = 0;
        final long start = System.nanoTime();
        while (System.nanoTime() - endNs < 0)
        {
            receive();
            completed++;
            send(request, length);
        }
        final double elapsed = (System.nanoTime() - start) / 1e9;
        for (int i = 0; i < inFlight; i++)
        {
            drainOne();
        }
        return completed / elapsed;
    }

    private void drainOne()
    {
        // Loopback does not lose datagrams under this load; bounded wait in case it does.
        final long deadline = System.nanoTime() + 100_000_000L;
        try
        {
            while (System.nanoTime() < deadline)
            {
                receiveBuffer.clear();
                if (null != client.receive(receiveBuffer))
                {
                    return;
                }
                Thread.yield();
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close()
    {
        running = false;
        try
        {
            echo.join(1_000);
            client.close();
            server.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
