package io.rum.net.config;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads {@code machines.csv}, the list of nodes in a cluster.
 *
 * <h2>Format</h2>
 * <ul>
 *   <li>UTF-8 text, one node per line; a file is at most 16 MiB. A leading byte order mark is ignored.
 *       Lines end with LF, CRLF or CR.</li>
 *   <li>A line whose first non-blank character is {@code #} is a comment. Blank lines are ignored.</li>
 *   <li>An optional header line, whose first field is {@code id}, is skipped. It must come before
 *       the first node and name the columns in order (a prefix of them is fine), so a file with
 *       columns in another order is rejected rather than misread.</li>
 *   <li>Fields are separated by commas. A field may be double-quoted, to contain commas (as vdev
 *       arguments do); inside quotes, {@code ""} is a literal quote. Whitespace around a field is
 *       trimmed; whitespace inside quotes is kept. A quoted field ends on the same line.</li>
 *   <li>Columns, in this order: {@code id,role,udp,mac,vdev,weight}
 *     <ul>
 *       <li>{@code id}: an integer 1..65535, unique in the file.</li>
 *       <li>{@code role}: {@code slave} or {@code client}, in any case.</li>
 *       <li>{@code udp}: {@code host:port}, where host is an IPv4 literal, a hostname, or
 *           {@code [ipv6]}, and port is 1..65535; or empty. Hostnames are kept unresolved.</li>
 *       <li>{@code mac}: {@code xx:xx:xx:xx:xx:xx} in hex; or empty.</li>
 *       <li>{@code vdev}: DPDK vdev arguments, e.g. {@code net_memif0,role=server,socket=/tmp/rum.sock}
 *           (quoted, since they contain commas); or empty.</li>
 *       <li>{@code weight}: a positive finite decimal such as {@code 1} or {@code 0.5}; optional,
 *           default 1.0.</li>
 *     </ul>
 *   </li>
 *   <li>Trailing empty columns may be omitted, but at least {@code id} and {@code role} are required.</li>
 *   <li>A node needs at least one address: {@code udp}, {@code mac}, or both.</li>
 *   <li>UDP addresses are unique and MACs are unique (a hostname and an IP literal for the same
 *       machine are not recognised as the same address).</li>
 *   <li>The file has at least one node.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>
 * # id,role,udp,mac,vdev,weight
 * id,role,udp,mac,vdev,weight
 * 1,slave,127.0.0.1:7101,02:52:55:4d:00:01,,1
 * 2,slave,[::1]:7102,02:52:55:4d:00:02,"net_memif0,role=server,socket=/tmp/rum.sock",2
 * 3,client,,02:52:55:4d:00:03
 * </pre>
 *
 * <h2>Errors</h2>
 * Every problem is a {@link ConfigException} whose message starts with {@code <file>:<line>: },
 * quotes the bad value and says what was expected. The first problem found stops the parse.
 * A file that cannot be read at all (missing, not permitted, too large) is reported as
 * {@code <file>: <problem>}, without a line.
 */
public final class MachinesCsv
{
    /** The columns, in order. */
    public static final List<String> COLUMNS = List.of("id", "role", "udp", "mac", "vdev", "weight");

    private static final int ID = 0;
    private static final int ROLE = 1;
    private static final int UDP = 2;
    private static final int MAC = 3;
    private static final int VDEV = 4;
    private static final int WEIGHT = 5;
    private static final int REQUIRED_COLUMNS = ROLE + 1;

    /** Bounds what is read: 65535 nodes of about 100 bytes each fit well within it. */
    private static final long MAX_FILE_SIZE_BYTES = 16L * 1024 * 1024;
    private static final char BYTE_ORDER_MARK = '\uFEFF';
    private static final String COLUMN_LIST = String.join(",", COLUMNS);
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,5}");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]*)?|\\.[0-9]+");
    private static final Pattern IPV4ISH = Pattern.compile("[0-9.]+");
    private static final Pattern IPV4 = Pattern.compile(
        "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern HOSTNAME = Pattern.compile(
        "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private MachinesCsv()
    {
    }

    /**
     * Reads a machines file.
     *
     * @param file the file, UTF-8; its path as given names it in error messages.
     * @return the nodes.
     * @throws ConfigException if the file cannot be read or breaks a rule of the format.
     */
    public static Machines parse(final Path file)
    {
        final String sourceName = file.toString();
        final byte[] bytes;
        try
        {
            final long sizeBytes = Files.size(file);
            if (sizeBytes > MAX_FILE_SIZE_BYTES)
            {
                throw new ConfigException(sourceName, 0, "too large: " + sizeBytes + " bytes, expected at most " +
                    MAX_FILE_SIZE_BYTES + " (a node takes one short line)");
            }
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new ConfigException(sourceName, 0, "cannot read: " + describe(ex), ex);
        }
        return parse(sourceName, new StringReader(decodeUtf8(sourceName, bytes)));
    }

    /**
     * Reads machines text. The reader is read to the end and not closed.
     *
     * @param sourceName the name that starts each error message, usually the file's path.
     * @param in         the text.
     * @return the nodes.
     * @throws ConfigException if the text cannot be read or breaks a rule of the format.
     */
    public static Machines parse(final String sourceName, final Reader in)
    {
        return new LineParser(sourceName).parse(in instanceof BufferedReader buffered ? buffered : new BufferedReader(in));
    }

    /**
     * Decodes the whole file up front, rather than through a buffered reader, so that a byte that
     * is not UTF-8 can be reported on its own line: a reader decodes ahead of the line it returns.
     */
    private static String decodeUtf8(final String sourceName, final byte[] bytes)
    {
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        final CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError())
        {
            result = decoder.flush(out);
        }
        if (result.isError())
        {
            final int badAt = in.position();
            int line = 1;
            for (int i = 0; i < badAt; i++)
            {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new ConfigException(sourceName, line, "not valid UTF-8: byte 0x" +
                HexFormat.of().toHexDigits(bytes[badAt]) + "; expected the file saved as UTF-8");
        }
        return out.flip().toString();
    }

    private static String describe(final IOException ex)
    {
        return switch (ex)
        {
            case NoSuchFileException _ -> "no such file";
            case AccessDeniedException _ -> "permission denied";
            case CharacterCodingException _ -> "not valid UTF-8";
            default -> ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
        };
    }

    private static String columnName(final int index)
    {
        return index < COLUMNS.size() ? COLUMNS.get(index) : "column " + (index + 1);
    }

    /**
     * The state of one parse: where it is, and which line first used each id and address so that
     * a duplicate can point at it.
     */
    private static final class LineParser
    {
        private final String sourceName;
        private final List<NodeSpec> nodes = new ArrayList<>();
        private final Map<Integer, Integer> lineOfId = new HashMap<>();
        private final Map<InetSocketAddress, Integer> lineOfUdp = new HashMap<>();
        private final Map<MacAddress, Integer> lineOfMac = new HashMap<>();
        private int lineNumber;

        LineParser(final String sourceName)
        {
            this.sourceName = sourceName;
        }

        Machines parse(final BufferedReader in)
        {
            String line;
            while ((line = readLine(in)) != null)
            {
                if (lineNumber == 1 && !line.isEmpty() && line.charAt(0) == BYTE_ORDER_MARK)
                {
                    line = line.substring(1);
                }
                final String stripped = line.strip();
                if (stripped.isEmpty() || stripped.charAt(0) == '#')
                {
                    continue;
                }
                final List<String> fields = split(line);
                if (nodes.isEmpty() && fields.getFirst().equalsIgnoreCase(COLUMNS.getFirst()))
                {
                    checkHeader(fields);
                    continue;
                }
                nodes.add(node(fields));
            }
            if (nodes.isEmpty())
            {
                throw error("no nodes: expected at least one line \"" + COLUMN_LIST + "\"");
            }
            return Machines.of(nodes);
        }

        private String readLine(final BufferedReader in)
        {
            try
            {
                final String line = in.readLine();
                if (line != null)
                {
                    lineNumber++;
                }
                return line;
            }
            catch (final IOException ex)
            {
                // The line being read is the one after the last complete line.
                throw new ConfigException(sourceName, lineNumber + 1, "cannot read: " + describe(ex), ex);
            }
        }

        /**
         * Splits a line at commas outside quotes. A quoted field must be the whole field: only
         * whitespace may surround the quotes.
         */
        private List<String> split(final String line)
        {
            final List<String> fields = new ArrayList<>(COLUMNS.size());
            final int length = line.length();
            int i = 0;
            while (true)
            {
                while (i < length && Character.isWhitespace(line.charAt(i)))
                {
                    i++;
                }
                if (i < length && line.charAt(i) == '"')
                {
                    final StringBuilder field = new StringBuilder();
                    boolean closed = false;
                    i++;
                    while (i < length && !closed)
                    {
                        final char c = line.charAt(i++);
                        if (c != '"')
                        {
                            field.append(c);
                        }
                        else if (i < length && line.charAt(i) == '"')
                        {
                            field.append('"');
                            i++;
                        }
                        else
                        {
                            closed = true;
                        }
                    }
                    if (!closed)
                    {
                        throw error("unterminated quote in " + columnName(fields.size()) +
                            ": expected a closing \" before the end of the line");
                    }
                    while (i < length && Character.isWhitespace(line.charAt(i)))
                    {
                        i++;
                    }
                    if (i < length && line.charAt(i) != ',')
                    {
                        throw error("text after the closing quote in " + columnName(fields.size()) +
                            ": expected a comma");
                    }
                    fields.add(field.toString());
                }
                else
                {
                    final int start = i;
                    while (i < length && line.charAt(i) != ',')
                    {
                        if (line.charAt(i) == '"')
                        {
                            throw error("quote inside " + columnName(fields.size()) + " \"" +
                                line.substring(start).strip() + "\": expected the whole field in quotes");
                        }
                        i++;
                    }
                    fields.add(line.substring(start, i).strip());
                }
                if (i >= length)
                {
                    return fields;
                }
                i++;
            }
        }

        private void checkHeader(final List<String> fields)
        {
            boolean matches = fields.size() <= COLUMNS.size();
            for (int i = 0; matches && i < fields.size(); i++)
            {
                matches = fields.get(i).equalsIgnoreCase(COLUMNS.get(i));
            }
            if (!matches)
            {
                throw error("bad header \"" + String.join(",", fields) + "\": expected \"" + COLUMN_LIST + "\"");
            }
        }

        private NodeSpec node(final List<String> fields)
        {
            if (fields.size() < REQUIRED_COLUMNS || fields.size() > COLUMNS.size())
            {
                throw error("wrong column count: found " + fields.size() + ", expected " + REQUIRED_COLUMNS +
                    " to " + COLUMNS.size() + " (" + COLUMN_LIST + ")");
            }
            final int id = id(fields.get(ID));
            final Role role = role(fields.get(ROLE));
            final InetSocketAddress udp = udp(field(fields, UDP));
            final MacAddress mac = mac(field(fields, MAC));
            final String vdev = field(fields, VDEV);
            final String refusal = VdevRules.refusal(vdev);
            if (null != refusal)
            {
                throw error(refusal);
            }
            final double weight = weight(field(fields, WEIGHT));
            if (udp == null && mac == null)
            {
                throw error("node " + id + " has no address: expected a udp address, a mac, or both");
            }

            final Integer firstWithId = lineOfId.putIfAbsent(id, lineNumber);
            if (firstWithId != null)
            {
                throw error("duplicate id " + id + ": already used on line " + firstWithId);
            }
            final Integer firstWithUdp = udp != null ? lineOfUdp.putIfAbsent(udp, lineNumber) : null;
            if (firstWithUdp != null)
            {
                throw error("duplicate udp address \"" + fields.get(UDP) + "\": already used on line " + firstWithUdp);
            }
            final Integer firstWithMac = mac != null ? lineOfMac.putIfAbsent(mac, lineNumber) : null;
            if (firstWithMac != null)
            {
                throw error("duplicate mac \"" + fields.get(MAC) + "\": already used on line " + firstWithMac);
            }
            return new NodeSpec(id, role, udp, mac, vdev.isEmpty() ? null : vdev, weight);
        }

        private static String field(final List<String> fields, final int index)
        {
            return index < fields.size() ? fields.get(index) : "";
        }

        private int id(final String text)
        {
            if (text.isEmpty())
            {
                throw error("missing id: expected an integer " + NodeSpec.MIN_ID + ".." + NodeSpec.MAX_ID);
            }
            final int id = DIGITS.matcher(text).matches() ? Integer.parseInt(text) : -1;
            if (id < NodeSpec.MIN_ID || id > NodeSpec.MAX_ID)
            {
                throw error("bad id \"" + text + "\": expected an integer " + NodeSpec.MIN_ID + ".." + NodeSpec.MAX_ID);
            }
            return id;
        }

        private Role role(final String text)
        {
            if (text.isEmpty())
            {
                throw error("missing role: expected slave or client");
            }
            try
            {
                return Role.parse(text);
            }
            catch (final IllegalArgumentException ex)
            {
                throw error(ex.getMessage());
            }
        }

        /**
         * Reads {@code host:port} without touching DNS: literals become addresses, hostnames stay
         * unresolved (in lower case, so that case does not hide a duplicate).
         */
        private InetSocketAddress udp(final String text)
        {
            if (text.isEmpty())
            {
                return null;
            }
            final String host;
            final String port;
            if (text.startsWith("["))
            {
                final int close = text.indexOf(']');
                if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':')
                {
                    throw error("bad udp address \"" + text + "\": expected [ipv6]:port");
                }
                host = text.substring(1, close);
                port = text.substring(close + 2);
            }
            else
            {
                final int colon = text.lastIndexOf(':');
                if (colon < 0)
                {
                    throw error("bad udp address \"" + text + "\": expected host:port");
                }
                if (text.indexOf(':') != colon)
                {
                    throw error("bad udp address \"" + text + "\": expected an IPv6 address in brackets, " +
                        "like [::1]:7101");
                }
                host = text.substring(0, colon);
                port = text.substring(colon + 1);
            }
            final int portNumber = DIGITS.matcher(port).matches() ? Integer.parseInt(port) : -1;
            if (portNumber < 1 || portNumber > 65535)
            {
                throw error("bad port \"" + port + "\" in udp address \"" + text + "\": expected 1..65535");
            }
            if (text.startsWith("["))
            {
                return new InetSocketAddress(ipv6(host, text), portNumber);
            }
            if (IPV4ISH.matcher(host).matches())
            {
                if (!IPV4.matcher(host).matches())
                {
                    throw error("bad host \"" + host + "\" in udp address \"" + text +
                        "\": expected an IPv4 address a.b.c.d with each part 0..255");
                }
                return new InetSocketAddress(Inet4Address.ofLiteral(host), portNumber);
            }
            if (!HOSTNAME.matcher(host).matches())
            {
                throw error("bad host \"" + host + "\" in udp address \"" + text +
                    "\": expected an IPv4 address, a hostname, or [ipv6]");
            }
            return InetSocketAddress.createUnresolved(host.toLowerCase(Locale.ROOT), portNumber);
        }

        private InetAddress ipv6(final String host, final String text)
        {
            try
            {
                return Inet6Address.ofLiteral(host);
            }
            catch (final IllegalArgumentException ex)
            {
                throw error("bad host \"" + host + "\" in udp address \"" + text + "\": expected an IPv6 address");
            }
        }

        private MacAddress mac(final String text)
        {
            if (text.isEmpty())
            {
                return null;
            }
            try
            {
                return MacAddress.parse(text);
            }
            catch (final IllegalArgumentException ex)
            {
                throw error(ex.getMessage());
            }
        }

        private double weight(final String text)
        {
            if (text.isEmpty())
            {
                return NodeSpec.DEFAULT_WEIGHT;
            }
            final double weight = DECIMAL.matcher(text).matches() ? Double.parseDouble(text) : Double.NaN;
            if (!(weight > 0) || !Double.isFinite(weight))
            {
                throw error("bad weight \"" + text + "\": expected a positive decimal such as 1 or 0.5");
            }
            return weight;
        }

        private ConfigException error(final String problem)
        {
            return new ConfigException(sourceName, Math.max(lineNumber, 1), problem);
        }
    }
}
