package io.rum.net.dpdk;

import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Whether the DPDK tests can run here. {@code ./rum test} sets {@code rum.dpdk.required} (and
 * {@code rum.netns.required}) once it has made sure the Debian packages are installed, and always under CI:
 * then a missing piece FAILS the tests, because a skip would hide a broken build. Without those properties (a
 * developer running Maven directly without DPDK) the tests are skipped with the reason printed.
 */
final class DpdkTestSupport
{
    private DpdkTestSupport()
    {
    }

    static DpdkShim.Availability requireDpdk()
    {
        final DpdkShim.Availability availability = DpdkShim.check();
        if (!availability.available())
        {
            unavailable("rum.dpdk.required", "DPDK is not usable, so the DPDK tests cannot run: " +
                availability.reason());
        }
        return availability;
    }

    /**
     * Network namespaces and veth pairs need root and iproute2.
     */
    static void requireNetworkNamespaces()
    {
        requireDpdk();
        if (!"root".equals(System.getProperty("user.name")))
        {
            unavailable("rum.netns.required", "creating network namespaces needs root: the af_packet tests cannot run");
        }
        if (!new java.io.File("/usr/sbin/ip").canExecute() && !new java.io.File("/sbin/ip").canExecute() &&
            !new java.io.File("/usr/bin/ip").canExecute())
        {
            unavailable("rum.netns.required", "no `ip` command (Debian package iproute2): the af_packet tests cannot run");
        }
    }

    private static void unavailable(final String requiredProperty, final String reason)
    {
        if (Boolean.getBoolean(requiredProperty) || "true".equals(System.getenv("CI")))
        {
            fail(reason);
        }
        System.err.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
    }
}
