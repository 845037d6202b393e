package io.rum.net.transport;

/**
 * The transport contract over the in-process medium (embedded mode).
 */
class InProcessTransportTest extends TransportContractTest
{
    @Override
    protected TestNetwork newNetwork()
    {
        return new InProcessTestNetwork();
    }
}
