package io.rum.net.transport;

import io.rum.net.medium.InProcessMedium;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.Medium;
import org.agrona.concurrent.UnsafeBuffer;

final class InProcessTestNetwork implements TestNetwork
{
    private static final int INJECTOR_NODE = 65000;
    private final InProcessNetwork network = new InProcessNetwork(8192, 8 * 1024 * 1024);
    private InProcessMedium injector;

    @Override
    public Medium attach(final int nodeId)
    {
        return network.attach(nodeId);
    }

    @Override
    public synchronized void inject(final int targetNode, final byte[] bytes, final int length)
    {
        if (null == injector)
        {
            injector = network.attach(INJECTOR_NODE);
        }
        injector.send(targetNode, new UnsafeBuffer(bytes), 0, length);
    }

    @Override
    public int maxFrameLength()
    {
        return 8192;
    }

    @Override
    public void close()
    {
        if (null != injector)
        {
            injector.close();
        }
    }
}
