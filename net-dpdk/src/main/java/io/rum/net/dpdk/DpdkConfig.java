package io.rum.net.dpdk;

import io.rum.net.config.MacAddress;
import io.rum.net.config.NodeSpec;
import io.rum.net.config.VdevRules;

import java.util.Objects;

/**
 * Settings of one DPDK port and of the EAL it runs in, validated once.
 *
 * <p>From machines.csv a node brings its {@code vdev} and {@code mac}; system properties fill in or override
 * the rest (see {@link #fromNode(NodeSpec)}). Examples of {@code vdev}:
 * <ul>
 *   <li>{@code net_memif0,role=server,id=0,socket=/tmp/rum.sock,socket-abstract=no,bsize=8192}: two
 *       processes on one host; start the server first (a client retries its start for
 *       {@code startTimeoutMs}).</li>
 *   <li>{@code net_af_packet0,iface=veth0,qpairs=1,blocksz=16384,framesz=10240,framecnt=512}: a kernel
 *       interface; {@code framesz} must exceed the largest frame by about 80 bytes of kernel header, or
 *       large frames vanish (only {@code oerrors} rises), and the interface MTU must fit the frame.</li>
 * </ul>
 *
 * @param vdev           the {@code --vdev} argument (device name, comma, its arguments), or null for a port
 *                       that exists without one (a PCI NIC: not supported under {@code --no-pci} yet).
 * @param portName       the ethdev name, e.g. {@code net_memif0}; by default the device name of {@code vdev}.
 * @param mac            the MAC to give the port, or null to keep the port's own.
 * @param poolSize       mbufs in the port's pool; 2^k - 1 is best.
 * @param memoryMb       EAL memory ({@code -m}) with {@code --no-huge}; pools must fit in it.
 * @param maxFrameLength the largest RUM frame (Ethernet header not included).
 * @param filePrefix     EAL {@code --file-prefix}, or null for {@code rum-<pid>-<n>}.
 * @param startTimeoutMs how long to retry starting the port (a memif client whose server is not up yet).
 */
public record DpdkConfig(
    String vdev,
    String portName,
    MacAddress mac,
    int poolSize,
    int memoryMb,
    int maxFrameLength,
    String filePrefix,
    long startTimeoutMs)
{
    public static final String PROPERTY_PREFIX = "rum.dpdk.";
    public static final int DEFAULT_POOL_SIZE = 4095;
    public static final int DEFAULT_MEMORY_MB = 256;
    public static final int DEFAULT_MAX_FRAME_LENGTH = 8192;
    public static final long DEFAULT_START_TIMEOUT_MS = 10_000;
    /** The tap PMD's fixed MTU: see {@link #portFrameLimit()}. */
    public static final int TAP_MAX_FRAME_LENGTH = 1500;
    /** An mbuf's data room is 16 bits wide, headroom and Ethernet header included. */
    public static final int MAX_FRAME_LENGTH_LIMIT = 65_535 - 128 - EthernetFrameDescriptor.HEADER_LENGTH;

    public DpdkConfig
    {
        if (vdev != null && vdev.isBlank())
        {
            vdev = null;
        }
        if (portName == null || portName.isBlank())
        {
            if (vdev == null)
            {
                throw new IllegalArgumentException("a DPDK port needs a vdev or a port name");
            }
            portName = deviceName(vdev);
        }
        final String refusal = VdevRules.refusal(vdev);
        if (null != refusal)
        {
            throw new IllegalArgumentException("vdev \"" + vdev + "\": " + refusal);
        }
        if (vdev != null && mac != null && deviceName(vdev).startsWith("net_memif") && !vdev.contains(",mac="))
        {
            // memif cannot change its MAC once created, but takes one as a device argument.
            vdev = vdev + ",mac=" + mac;
        }
        check(poolSize >= 63, "poolSize must be at least 63: " + poolSize);
        check(memoryMb >= 16, "memoryMb must be at least 16: " + memoryMb);
        check(maxFrameLength >= 64 && maxFrameLength <= MAX_FRAME_LENGTH_LIMIT,
            "maxFrameLength must be in 64.." + MAX_FRAME_LENGTH_LIMIT + ": " + maxFrameLength);
        check(startTimeoutMs >= 0, "startTimeoutMs must not be negative");
        if (filePrefix != null && (filePrefix.isBlank() || filePrefix.contains("/")))
        {
            throw new IllegalArgumentException("bad filePrefix \"" + filePrefix + "\"");
        }
    }

    /**
     * @param vdev the {@code --vdev} argument.
     * @return settings with defaults for everything else.
     */
    public static DpdkConfig ofVdev(final String vdev)
    {
        return new DpdkConfig(Objects.requireNonNull(vdev, "vdev"), null, null, DEFAULT_POOL_SIZE, DEFAULT_MEMORY_MB,
            DEFAULT_MAX_FRAME_LENGTH, null, DEFAULT_START_TIMEOUT_MS);
    }

    /**
     * A node's port from its machines.csv entry, overridden by system properties {@code rum.dpdk.vdev},
     * {@code .port}, {@code .mac}, {@code .poolSize}, {@code .memoryMb}, {@code .maxFrameLength},
     * {@code .filePrefix} and {@code .startTimeoutMs}.
     *
     * @throws IllegalArgumentException naming the node if it has no vdev (and none is given as property).
     */
    public static DpdkConfig fromNode(final NodeSpec node)
    {
        return fromProperties(node.id(), node.vdev(), node.mac());
    }

    /**
     * Like {@link #fromNode}, for a node that machines.csv may not list (a client).
     *
     * @param nodeId for the error message.
     * @param vdev0   the vdev, or null; {@code rum.dpdk.vdev} overrides it.
     * @param nodeMac the MAC, or null; {@code rum.dpdk.mac} overrides it.
     */
    public static DpdkConfig fromProperties(final int nodeId, final String vdev0, final MacAddress nodeMac)
    {
        final String vdev = vdev(vdev0);
        final String port = System.getProperty(PROPERTY_PREFIX + "port");
        if ((vdev == null || vdev.isBlank()) && port == null)
        {
            throw new IllegalArgumentException("node " + nodeId + " has no vdev in machines.csv (and -D" +
                PROPERTY_PREFIX + "vdev is not set): the DPDK transport does not know which port to use");
        }
        final String macText = System.getProperty(PROPERTY_PREFIX + "mac");
        final MacAddress mac = macText != null ? MacAddress.parse(macText) : nodeMac;
        return new DpdkConfig(vdev, port, mac,
            Integer.getInteger(PROPERTY_PREFIX + "poolSize", DEFAULT_POOL_SIZE),
            Integer.getInteger(PROPERTY_PREFIX + "memoryMb", DEFAULT_MEMORY_MB),
            Integer.getInteger(PROPERTY_PREFIX + "maxFrameLength", DEFAULT_MAX_FRAME_LENGTH),
            System.getProperty(PROPERTY_PREFIX + "filePrefix"),
            Long.getLong(PROPERTY_PREFIX + "startTimeoutMs", DEFAULT_START_TIMEOUT_MS));
    }

    /**
     * @param nodeVdev a node's machines.csv vdev, or null.
     * @return the vdev it uses: {@code rum.dpdk.vdev} if set, else {@code nodeVdev}.
     */
    public static String vdev(final String nodeVdev)
    {
        return System.getProperty(PROPERTY_PREFIX + "vdev", nodeVdev);
    }

    public DpdkConfig withMac(final MacAddress newMac)
    {
        return new DpdkConfig(vdev, portName, newMac, poolSize, memoryMb, maxFrameLength, filePrefix, startTimeoutMs);
    }

    public DpdkConfig withMaxFrameLength(final int length)
    {
        return new DpdkConfig(vdev, portName, mac, poolSize, memoryMb, length, filePrefix, startTimeoutMs);
    }

    public DpdkConfig withPoolSize(final int size)
    {
        return new DpdkConfig(vdev, portName, mac, size, memoryMb, maxFrameLength, filePrefix, startTimeoutMs);
    }

    /**
     * @return whether a device string is a PCI address ({@code 0000:03:00.0} or {@code 03:00.0}): a real NIC,
     * probed by EAL with {@code -a} instead of created with {@code --vdev}.
     */
    public static boolean isPciAddress(final String device)
    {
        return null != device && device.matches("([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");
    }

    /**
     * @return the device EAL must know at start: the vdev arguments, or the PCI address of a real NIC.
     */
    public String ealDevice()
    {
        return null != vdev ? vdev : portName;
    }

    /**
     * @return whether the port is the client end of a memif link, which must reconnect when its server returns.
     */
    public boolean isMemifClient()
    {
        return isMemif() && null != vdev && vdev.contains("role=client");
    }

    /**
     * @return whether the port is a memif device, which rules out EAL's {@code --no-shconf}.
     */
    public boolean isMemif()
    {
        return portName.startsWith("net_memif");
    }

    /**
     * @return the arguments after the device name in {@code vdev}, or "" if none.
     */
    public String vdevArguments()
    {
        if (vdev == null)
        {
            return "";
        }
        final int comma = vdev.indexOf(',');
        return comma < 0 ? "" : vdev.substring(comma + 1);
    }

    /**
     * Bytes of data room for this port's mbufs, headroom included: room for the largest frame and its
     * Ethernet header, and for af_packet at least its {@code framesz} (the PMD refuses a smaller mbuf).
     *
     * @param headroom the mbuf headroom.
     */
    public int mbufDataRoom(final int headroom)
    {
        int room = headroom + EthernetFrameDescriptor.HEADER_LENGTH + maxFrameLength;
        if (portName.startsWith("net_af_packet"))
        {
            for (final String argument : vdevArguments().split(","))
            {
                if (argument.startsWith("framesz="))
                {
                    room = Math.max(room, headroom + Integer.parseInt(argument.substring("framesz=".length()).strip()));
                }
            }
        }
        return Math.min(0xFFFF, room);
    }

    /**
     * The largest RUM frame the port's driver sends, whatever {@link #maxFrameLength()} asks for. The tap PMD
     * (DPDK 22.11) keeps its MTU at 1500 (it reports a 1522-byte max frame, so {@code rte_eth_dev_set_mtu} above
     * that fails with EINVAL) and its tx burst refuses longer frames (returns 0 and counts {@code oerrors}),
     * which would look like a full ring forever.
     */
    public int portFrameLimit()
    {
        return portName.startsWith("net_tap") ? TAP_MAX_FRAME_LENGTH : MAX_FRAME_LENGTH_LIMIT;
    }

    static String deviceName(final String vdev)
    {
        final int comma = vdev.indexOf(',');
        return (comma < 0 ? vdev : vdev.substring(0, comma)).strip();
    }

    private static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }
}
