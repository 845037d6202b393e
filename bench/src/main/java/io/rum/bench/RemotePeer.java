package io.rum.bench;

import java.util.List;
import javax.cache.Cache;

/**
 * A remote cache under test in {@code ./rum bench peers}: Integer keys, byte[] values, reached through its JCache
 * API with no near cache or hot tier, its servers in other JVMs on this machine.
 */
interface RemotePeer extends AutoCloseable
{
    /**
     * @return the row label, e.g. "Hazelcast 5.7.0" or "RUM UDP".
     */
    String name();

    Cache<Integer, byte[]> cache();

    /**
     * @return how the peer is configured, one item per line, as printed with the results.
     */
    List<String> configuration();

    /**
     * Stops the client side, then the server JVMs.
     */
    @Override
    void close();

    /**
     * Thrown when a peer cannot run here; the run goes on without its rows and says why.
     */
    final class UnavailableException extends Exception
    {
        private static final long serialVersionUID = 1L;

        UnavailableException(final String reason)
        {
            super(reason);
        }

        UnavailableException(final String reason, final Throwable cause)
        {
            super(reason, cause);
        }
    }
}
