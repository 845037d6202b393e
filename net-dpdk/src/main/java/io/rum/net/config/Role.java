package io.rum.net.config;

import java.util.Locale;

/**
 * What a node does in a RUM cluster.
 */
public enum Role
{
    /** Holds cache entries and answers requests for them. */
    SLAVE,
    /** Runs the JCache provider and sends requests to the slaves. */
    CLIENT;

    /**
     * Reads a role as written in {@code machines.csv}: {@code slave} or {@code client}, in any case.
     *
     * @param text the role name.
     * @return the role.
     * @throws IllegalArgumentException if the text names no role.
     */
    public static Role parse(final String text)
    {
        return switch (text.toLowerCase(Locale.ROOT))
        {
            case "slave" -> SLAVE;
            case "client" -> CLIENT;
            default -> throw new IllegalArgumentException(
                "unknown role \"" + text + "\": expected slave or client");
        };
    }

    /** @return the name as written in {@code machines.csv}, in lower case. */
    public String csvName()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
