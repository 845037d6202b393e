package io.rum.slave;

import io.rum.allocator.protocol.ResponseFlyweight;
import io.rum.net.transport.ResponseWriter;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/** A {@link ResponseWriter} for driving a state machine directly: keeps the last response. */
final class CapturingResponse implements ResponseWriter
{
    private UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
    private int length;
    final ResponseFlyweight flyweight = new ResponseFlyweight();

    @Override
    public MutableDirectBuffer buffer(final int capacity)
    {
        if (buffer.capacity() < capacity)
        {
            buffer = new UnsafeBuffer(new byte[capacity]);
        }
        length = 0;
        return buffer;
    }

    @Override
    public void length(final int length)
    {
        this.length = length;
    }

    CapturingResponse reset()
    {
        length = 0;
        return this;
    }

    ResponseFlyweight response()
    {
        return flyweight.wrap(buffer, 0, length);
    }

    byte[] bytes()
    {
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    int status()
    {
        return response().status();
    }

    String text()
    {
        return response().payloadText();
    }
}
