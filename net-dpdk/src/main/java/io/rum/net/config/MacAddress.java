package io.rum.net.config;

import java.util.HexFormat;

/**
 * An Ethernet (EUI-48) address, held in the low 48 bits of a {@code long} so it is cheap to
 * compare, hash and copy into a frame header.
 *
 * <p>The text form is six two-digit hex groups separated by colons, {@code 02:52:55:4d:00:01};
 * parsing accepts either case and {@link #toString()} writes lower case. The byte form is in
 * wire order: the first group is byte 0.
 *
 * @param value the address in the low 48 bits; the first octet on the wire is bits 47..40.
 */
public record MacAddress(long value)
{
    /** Octets in an address. */
    public static final int LENGTH_BYTES = 6;

    private static final long MASK = (1L << 48) - 1;
    private static final int TEXT_LENGTH = LENGTH_BYTES * 3 - 1;
    private static final HexFormat HEX = HexFormat.of();

    /**
     * @param value the address in the low 48 bits.
     * @throws IllegalArgumentException if any of the high 16 bits is set.
     */
    public MacAddress
    {
        if ((value & ~MASK) != 0)
        {
            throw new IllegalArgumentException("MAC address value has bits above 48: 0x" + Long.toHexString(value));
        }
    }

    /**
     * Reads {@code xx:xx:xx:xx:xx:xx}.
     *
     * @param text six two-digit hex groups separated by colons.
     * @return the address.
     * @throws IllegalArgumentException naming the text and the expected form, if it is malformed.
     */
    public static MacAddress parse(final String text)
    {
        if (text.length() != TEXT_LENGTH)
        {
            throw malformed(text);
        }
        long value = 0;
        for (int i = 0; i < LENGTH_BYTES; i++)
        {
            final int at = i * 3;
            if (i > 0 && text.charAt(at - 1) != ':')
            {
                throw malformed(text);
            }
            final char high = text.charAt(at);
            final char low = text.charAt(at + 1);
            if (!HexFormat.isHexDigit(high) || !HexFormat.isHexDigit(low))
            {
                throw malformed(text);
            }
            value = (value << 8) | (HexFormat.fromHexDigit(high) << 4) | HexFormat.fromHexDigit(low);
        }
        return new MacAddress(value);
    }

    /**
     * @param bytes exactly six octets in wire order.
     * @return the address.
     */
    public static MacAddress of(final byte[] bytes)
    {
        if (bytes.length != LENGTH_BYTES)
        {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + bytes.length);
        }
        long value = 0;
        for (final byte b : bytes)
        {
            value = (value << 8) | (b & 0xFF);
        }
        return new MacAddress(value);
    }

    /** @return a new array of the six octets in wire order. */
    public byte[] bytes()
    {
        final byte[] bytes = new byte[LENGTH_BYTES];
        for (int i = 0; i < LENGTH_BYTES; i++)
        {
            bytes[i] = (byte)(value >>> (8 * (LENGTH_BYTES - 1 - i)));
        }
        return bytes;
    }

    /** @return {@code xx:xx:xx:xx:xx:xx} in lower case. */
    @Override
    public String toString()
    {
        final byte[] bytes = bytes();
        final StringBuilder text = new StringBuilder(TEXT_LENGTH);
        for (int i = 0; i < LENGTH_BYTES; i++)
        {
            if (i > 0)
            {
                text.append(':');
            }
            text.append(HEX.toHexDigits(bytes[i]));
        }
        return text.toString();
    }

    private static IllegalArgumentException malformed(final String text)
    {
        return new IllegalArgumentException(
            "bad mac \"" + text + "\": expected six hex pairs separated by colons, like 02:52:55:4d:00:01");
    }
}
