package io.rum.net.memif;

import io.rum.net.config.MacAddress;

import java.util.Locale;

/**
 * One memif interface of {@link MemifMedium}, read from the same {@code --vdev} argument DPDK's memif takes, so a
 * machines.csv line means the same to both drivers and a node on either talks to a node on the other:
 * {@code net_memif0,role=server,id=0,socket=/tmp/rum.sock,socket-abstract=no,bsize=10240,rsize=10}.
 *
 * @param name           the device name ({@code net_memif0}).
 * @param server         {@code role=server} (listens; may serve many clients, one per interface id) or
 *                       {@code role=client} (connects; creates and owns the shared memory).
 * @param id             {@code id=}: the interface id a client asks for; a server takes any id not connected yet.
 * @param socket         {@code socket=}: the control socket's path, or its abstract name.
 * @param abstractSocket {@code socket-abstract=yes} (DPDK's default): a name in the abstract namespace, no file.
 * @param bufferSize     {@code bsize=}: bytes per buffer; a longer frame is chained over several.
 * @param log2RingSize   {@code rsize=}: descriptors per ring, as a power of two.
 * @param secret         {@code secret=}: what a client must present, or empty.
 * @param mac            {@code mac=}: this end's MAC, or null.
 */
public record MemifConfig(
    String name,
    boolean server,
    long id,
    String socket,
    boolean abstractSocket,
    int bufferSize,
    int log2RingSize,
    String secret,
    MacAddress mac)
{
    public static final String DEFAULT_SOCKET = "/run/memif.sock";
    public static final int DEFAULT_BUFFER_SIZE = 2048;
    public static final int DEFAULT_LOG2_RING_SIZE = 10;
    /** DPDK's limit too: a larger ring is refused by its memif. */
    public static final int MAX_LOG2_RING_SIZE = 14;
    /** A buffer's length must fit in DPDK's 16-bit mbuf data room. */
    public static final int MAX_BUFFER_SIZE = 65_535;

    public MemifConfig
    {
        if (!name.startsWith("net_memif"))
        {
            throw new IllegalArgumentException("not a memif device: " + name);
        }
        check(id >= 0 && id <= 0xFFFF_FFFFL, "id must be in 0..4294967295: " + id);
        check(bufferSize >= 128 && bufferSize <= MAX_BUFFER_SIZE, "bsize must be in 128.." + MAX_BUFFER_SIZE + ": " +
            bufferSize);
        check(log2RingSize >= 1 && log2RingSize <= MAX_LOG2_RING_SIZE, "rsize must be in 1.." + MAX_LOG2_RING_SIZE +
            ": " + log2RingSize);
        check(!socket.isEmpty() && socket.length() <= 100, "socket must be 1..100 characters: " + socket);
        check(secret.length() < MemifMessage.SECRET_LENGTH, "secret must be shorter than " +
            MemifMessage.SECRET_LENGTH + " characters");
        // Both ring sizes' buffers lie in one region whose offsets are 32-bit, and Java maps at most 2 GiB.
        check(2L * bufferSize << log2RingSize < Integer.MAX_VALUE - (1L << 20), "bsize << rsize is too large");
    }

    private static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }

    /** @return whether {@code vdev} names a memif device. */
    public static boolean isMemif(final String vdev)
    {
        return null != vdev && vdev.strip().startsWith("net_memif");
    }

    /**
     * @throws IllegalArgumentException naming the argument that is wrong or unknown.
     */
    public static MemifConfig parse(final String vdev)
    {
        try
        {
            return parseArguments(vdev);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("vdev \"" + vdev + "\": " + ex.getMessage(), ex);
        }
    }

    private static MemifConfig parseArguments(final String vdev)
    {
        final String[] parts = vdev.strip().split(",");
        final String name = parts[0].strip();
        boolean server = true;
        long id = 0;
        String socket = DEFAULT_SOCKET;
        boolean abstractSocket = true;
        int bufferSize = DEFAULT_BUFFER_SIZE;
        int log2RingSize = DEFAULT_LOG2_RING_SIZE;
        String secret = "";
        MacAddress mac = null;
        for (int i = 1; i < parts.length; i++)
        {
            final String part = parts[i].strip();
            final int eq = part.indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException("memif argument \"" + part + "\" is not key=value");
            }
            final String key = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            final String value = part.substring(eq + 1).strip();
            switch (key)
            {
                case "role" -> server = switch (value)
                {
                    case "server", "master" -> true;
                    case "client", "slave" -> false;
                    default -> throw new IllegalArgumentException("memif role must be server or client: " + value);
                };
                case "id" -> id = number(key, value);
                case "socket" -> socket = value;
                case "socket-abstract" -> abstractSocket = yesNo(key, value);
                case "bsize" -> bufferSize = (int)Math.min(number(key, value), Integer.MAX_VALUE);
                case "rsize" -> log2RingSize = (int)Math.min(number(key, value), Integer.MAX_VALUE);
                case "secret" -> secret = value;
                case "mac" -> mac = MacAddress.parse(value);
                case "zero-copy" ->
                {
                    if (yesNo(key, value))
                    {
                        throw new IllegalArgumentException("memif zero-copy=yes: RUM's memif copies every frame " +
                            "once into the shared buffers; leave zero-copy out");
                    }
                }
                default -> throw new IllegalArgumentException("memif argument \"" + key + "\" is not supported " +
                    "(known: role, id, socket, socket-abstract, bsize, rsize, secret, mac, zero-copy=no)");
            }
        }
        return new MemifConfig(name, server, id, socket, abstractSocket, bufferSize, log2RingSize, secret, mac);
    }

    private static long number(final String key, final String value)
    {
        try
        {
            return Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("memif " + key + " must be a number: " + value, ex);
        }
    }

    private static boolean yesNo(final String key, final String value)
    {
        return switch (value)
        {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new IllegalArgumentException("memif " + key + " must be yes or no: " + value);
        };
    }

    public MemifConfig withMac(final MacAddress newMac)
    {
        return new MemifConfig(name, server, id, socket, abstractSocket, bufferSize, log2RingSize, secret, newMac);
    }

    @Override
    public String toString()
    {
        return name + ",role=" + (server ? "server" : "client") + ",id=" + id + ",socket=" + socket +
            ",socket-abstract=" + (abstractSocket ? "yes" : "no") + ",bsize=" + bufferSize + ",rsize=" + log2RingSize +
            (secret.isEmpty() ? "" : ",secret=***") + (null == mac ? "" : ",mac=" + mac);
    }
}
