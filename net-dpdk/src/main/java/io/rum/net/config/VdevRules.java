package io.rum.net.config;

/**
 * Device arguments RUM refuses: those that with the DPDK it runs on (Debian's 22.11) lose or corrupt data, and memif
 * arguments RUM's own memif driver does not take or whose values are wrong. One place, so {@link MachinesCsv} names
 * the line and {@code DpdkConfig} the property with the same reason.
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
        return refusal(vdev, !"dpdk".equals(System.getProperty("rum.memif.driver", "java").strip()));
    }

    /**
     * @param vdev      a {@code --vdev} argument.
     * @param javaMemif whether a memif vdev goes to RUM's own memif driver ({@code -Drum.memif.driver}, java by
     *                  default), which knows fewer arguments than DPDK's PMD and checks their values now.
     * @return why RUM refuses it, or null if it does not.
     */
    public static String refusal(final String vdev, final boolean javaMemif)
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
        if (javaMemif)
        {
            try
            {
                io.rum.net.memif.MemifConfig.parse(vdev);
            }
            catch (final IllegalArgumentException ex)
            {
                return ex.getMessage();
            }
        }
        return null;
    }
}
