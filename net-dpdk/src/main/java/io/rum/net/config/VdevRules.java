package io.rum.net.config;

/**
 * DPDK device arguments RUM refuses, because with the DPDK it runs on (Debian's 22.11) they lose or corrupt data.
 * One place, so {@link MachinesCsv} names the line and {@code DpdkConfig} the property with the same reason. (RUM's
 * own memif driver checks its arguments when it opens: every JVM reads every machines.csv line, including lines
 * meant for a node on DPDK's memif PMD, whose arguments it must not judge.)
 */
public final class VdevRules
{
    private VdevRules()
    {
    }

    /**
     * @param vdev a {@code --vdev} argument: device name, then comma-separated arguments.
     * @return why RUM refuses it, or null if it does not.
     */
    public static String refusal(final String vdev)
    {
        if (null == vdev)
        {
            return null;
        }
        final String[] parts = vdev.split(",");
        if (!parts[0].strip().startsWith("net_memif"))
        {
            return null;
        }
        for (int i = 1; i < parts.length; i++)
        {
            if (parts[i].strip().equals("zero-copy=yes"))
            {
                // Measured faster (docs/BENCHMARKS.md, stop 13), and unsafe: each zero-copy region's descriptor is
                // EAL's own memory file (rte_memseg_get_fd), which memif_connect closes once connected and
                // memif_free_regions closes again when the link drops; EAL still counts it as open.
                return "memif zero-copy=yes is refused: DPDK 22.11's memif closes EAL's own memory file " +
                    "descriptor, so the client cannot connect again after its link drops and a file opened later " +
                    "may get that descriptor; leave zero-copy out (copy mode)";
            }
        }
        return null;
    }
}
