package io.rum.net.dpdk;

import io.rum.net.Transports;
import io.rum.net.config.MacAddress;
import io.rum.net.config.Machines;
import io.rum.net.config.NodeSpec;
import io.rum.net.memif.MemifConfig;
import io.rum.net.memif.MemifMedium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds started transports over DPDK, or over DPDK when it is usable and UDP otherwise. Sits beside
 * {@link Transports} (which stays free of DPDK) until the two merge: {@code Transports.dpdk} and
 * {@code Transports.auto} would delegate here.
 */
public final class DpdkTransports
{
    private DpdkTransports()
    {
    }

    /**
     * A node over DPDK. Its port comes from its machines.csv {@code vdev} and {@code mac} (or the
     * {@code rum.dpdk.*} properties, see {@link DpdkConfig#fromProperties}); every other node with a MAC is a
     * route. EAL is started for it (or the running one reused) and cleaned up when the transport closes its
     * medium, if nothing else holds it. A memif vdev is served by RUM's own memif driver unless
     * {@value #MEMIF_DRIVER_PROPERTY} is {@code dpdk} (see {@link #dpdk(Machines, TransportConfig, String)}).
     *
     * @throws IllegalStateException naming the missing package or file if DPDK or the shim is absent, or the
     *                               DPDK step that failed.
     */
    public static ReliableTransport dpdk(final Machines machines, final TransportConfig config)
    {
        return dpdk(machines, config, memifDriver());
    }

    /**
     * As {@link #dpdk(Machines, TransportConfig)}, with the memif driver given rather than read from
     * {@value #MEMIF_DRIVER_PROPERTY}.
     *
     * @param memifDriver {@code java}: a memif vdev is served by RUM's own driver ({@link MemifMedium}: no EAL, no
     *                    shim, DPDK need not be installed); {@code dpdk}: by DPDK's memif PMD like any other vdev.
     */
    public static ReliableTransport dpdk(
        final Machines machines, final TransportConfig config, final String memifDriver)
    {
        final Optional<NodeSpec> self = machines.find(config.nodeId());
        final DpdkConfig port = DpdkConfig.fromProperties(
            config.nodeId(), self.map(NodeSpec::vdev).orElse(null), self.map(NodeSpec::mac).orElse(null));
        final Map<Integer, MacAddress> routes = new HashMap<>();
        for (final NodeSpec node : machines.nodes())
        {
            if (node.hasMac() && node.id() != config.nodeId())
            {
                routes.put(node.id(), node.mac());
            }
        }
        if (usesJavaMemif(port.vdev(), memifDriver))
        {
            final MemifMedium memif = MemifMedium.open(port.vdev(), port.mac(), routes);
            try
            {
                return ReliableTransport.create(config, memif).start();
            }
            catch (final RuntimeException | Error ex)
            {
                memif.close();   // its socket, and for a server the socket file, are not left behind
                throw ex;
            }
        }
        final DpdkShim.Availability availability = DpdkShim.check();
        if (!availability.available())
        {
            throw new IllegalStateException("transport=dpdk is not possible here: " + availability.reason());
        }
        final List<String> vdevs = null != port.vdev() || DpdkConfig.isPciAddress(port.portName()) ?
            List.of(port.ealDevice()) : List.of();
        final DpdkMedium medium;
        try (Eal eal = Eal.start(vdevs, port.memoryMb(), port.filePrefix()))
        {
            medium = DpdkMedium.open(eal, port, routes, DpdkMedium.DEFAULT_MAX_PEERS);
        }
        return ReliableTransport.create(config, medium).start();
    }

    /** The system property choosing who serves a memif vdev: {@code java} (the default) or {@code dpdk}. */
    public static final String MEMIF_DRIVER_PROPERTY = "rum.memif.driver";

    /**
     * @return {@value #MEMIF_DRIVER_PROPERTY}, {@code java} unless set.
     * @throws IllegalArgumentException naming the value if it is neither {@code java} nor {@code dpdk}.
     */
    public static String memifDriver()
    {
        final String driver = System.getProperty(MEMIF_DRIVER_PROPERTY, "java").strip();
        if (!driver.equals("java") && !driver.equals("dpdk"))
        {
            throw new IllegalArgumentException("-D" + MEMIF_DRIVER_PROPERTY + "=" + driver +
                ": must be java (RUM's own memif driver) or dpdk (DPDK's memif PMD)");
        }
        return driver;
    }

    private static boolean usesJavaMemif(final String vdev, final String memifDriver)
    {
        return MemifConfig.isMemif(vdev) && memifDriver.equals("java");
    }

    /**
     * DPDK if the shim is built and this node has a DPDK port configured (or RUM's memif driver for a memif vdev,
     * which needs no DPDK), else kernel UDP. Says on
     * System.err which one it chose and why.
     */
    public static ReliableTransport auto(final Machines machines, final TransportConfig config)
    {
        final DpdkShim.Availability availability = DpdkShim.check();
        final String vdev = DpdkConfig.vdev(machines.find(config.nodeId()).map(NodeSpec::vdev).orElse(null));
        if (availability.available() || usesJavaMemif(vdev, memifDriver()))
        {
            try
            {
                final ReliableTransport transport = dpdk(machines, config);
                System.err.println("rum: transport=auto: using " + (transport.medium() instanceof MemifMedium ?
                    "RUM's memif driver" : "DPDK (" + availability.reason() + ")") + " on " +
                    transport.medium().name());
                return transport;
            }
            catch (final RuntimeException ex)
            {
                System.err.println("rum: transport=auto: DPDK failed (" + ex.getMessage() + "), falling back to UDP");
            }
        }
        else
        {
            System.err.println("rum: transport=auto: DPDK unavailable (" + availability.reason() +
                "), falling back to UDP");
        }
        return Transports.udp(machines, config);
    }
}
