package io.rum.net.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The machines.csv format: one file that uses every feature, then every error with the exact
 * message a user sees, {@code file:line:} first.
 */
final class MachinesCsvTest
{
    private static final String SOURCE = "m.csv";

    @TempDir
    Path dir;

    private static Machines parse(final String text)
    {
        return MachinesCsv.parse(SOURCE, new StringReader(text));
    }

    private static void assertError(final String text, final String expectedMessage)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> parse(text));
        assertEquals(expectedMessage, ex.getMessage());
        assertEquals(SOURCE, ex.source());
        assertTrue(expectedMessage.startsWith(SOURCE + ":" + ex.line() + ": " + ex.problem()));
    }

    @Test
    void readsAFileThatUsesEveryFeature() throws Exception
    {
        final Machines machines = parse("""
            # RUM cluster
            \s  # an indented comment
            id,role,udp,mac,vdev,weight

            1,slave,127.0.0.1:7101,02:52:55:4d:00:01,,1
            2 , SLAVE , [::1]:7102 , 02:52:55:4D:00:02 , "net_memif0,role=server,socket=/tmp/rum.sock" , 2.5
            3,Slave,,02:52:55:4d:00:03,"say ""hi"", twice",.5
            4,client,Cache-Host.example:7200
            5,client,,0a:00:00:00:00:05,  "  kept  "  ,
            """);

        assertEquals(5, machines.size());
        assertEquals(List.of(1, 2, 3), machines.slaves().stream().map(NodeSpec::id).toList());
        assertEquals(List.of(4, 5), machines.clients().stream().map(NodeSpec::id).toList());
        assertEquals(4.0, machines.totalSlaveWeight());

        final NodeSpec one = machines.require(1);
        assertEquals(new NodeSpec(1, Role.SLAVE, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 7101),
            MacAddress.parse("02:52:55:4d:00:01"), null, 1.0), one);
        assertFalse(one.udp().isUnresolved());

        final NodeSpec two = machines.require(2);
        assertEquals(Role.SLAVE, two.role());
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 7102), two.udp());
        assertEquals("02:52:55:4d:00:02", two.mac().toString());
        assertEquals("net_memif0,role=server,socket=/tmp/rum.sock", two.vdev());
        assertEquals(2.5, two.weight());

        final NodeSpec three = machines.require(3);
        assertNull(three.udp());
        assertFalse(three.hasUdp());
        assertEquals("say \"hi\", twice", three.vdev());
        assertEquals(0.5, three.weight());

        final NodeSpec four = machines.require(4);
        assertEquals(Role.CLIENT, four.role());
        assertTrue(four.udp().isUnresolved(), "hostnames are not resolved while parsing");
        assertEquals("cache-host.example", four.udp().getHostString());
        assertEquals(7200, four.udp().getPort());
        assertNull(four.mac());
        assertNull(four.vdev());
        assertEquals(NodeSpec.DEFAULT_WEIGHT, four.weight());

        final NodeSpec five = machines.require(5);
        assertEquals("  kept  ", five.vdev());
        assertEquals(1.0, five.weight());

        assertTrue(machines.contains(5));
        assertTrue(machines.find(6).isEmpty());
        final NoSuchElementException missing = assertThrows(NoSuchElementException.class, () -> machines.require(6));
        assertEquals("no node with id 6; the ids are [1, 2, 3, 4, 5]", missing.getMessage());
    }

    @Test
    void readsTheSmallestFile()
    {
        final Machines machines = parse("7,slave,,02:00:00:00:00:07");
        assertEquals(1, machines.size());
        assertEquals(7, machines.nodes().getFirst().id());
    }

    @Test
    void readsAFileFromDiskWithByteOrderMarkAndCrLf() throws IOException
    {
        final Path file = dir.resolve("machines.csv");
        Files.writeString(file, "\uFEFFid,role,udp\r\n1,slave,127.0.0.1:7101\r\n\r\n65535,client,127.0.0.1:7102\r\n",
            StandardCharsets.UTF_8);

        final Machines machines = MachinesCsv.parse(file);

        assertEquals(List.of(1, 65535), machines.nodes().stream().map(NodeSpec::id).toList());
    }

    static List<Arguments> errors()
    {
        return List.of(
            Arguments.of("1,slave,127.0.0.1:7101,,,1,extra",
                "m.csv:1: wrong column count: found 7, expected 2 to 6 (id,role,udp,mac,vdev,weight)"),
            Arguments.of("# only an id\n1",
                "m.csv:2: wrong column count: found 1, expected 2 to 6 (id,role,udp,mac,vdev,weight)"),
            Arguments.of("abc,slave,127.0.0.1:7101", "m.csv:1: bad id \"abc\": expected an integer 1..65535"),
            Arguments.of("0,slave,127.0.0.1:7101", "m.csv:1: bad id \"0\": expected an integer 1..65535"),
            Arguments.of("65536,slave,127.0.0.1:7101", "m.csv:1: bad id \"65536\": expected an integer 1..65535"),
            Arguments.of("-1,slave,127.0.0.1:7101", "m.csv:1: bad id \"-1\": expected an integer 1..65535"),
            Arguments.of(",slave,127.0.0.1:7101", "m.csv:1: missing id: expected an integer 1..65535"),
            Arguments.of("1,slave,127.0.0.1:7101\n\n# x\n1,client,127.0.0.1:7102",
                "m.csv:4: duplicate id 1: already used on line 1"),
            Arguments.of("1,master,127.0.0.1:7101", "m.csv:1: unknown role \"master\": expected slave or client"),
            Arguments.of("1,,127.0.0.1:7101", "m.csv:1: missing role: expected slave or client"),
            Arguments.of("1,slave,999.0.0.1:7101",
                "m.csv:1: bad host \"999.0.0.1\" in udp address \"999.0.0.1:7101\": " +
                "expected an IPv4 address a.b.c.d with each part 0..255"),
            Arguments.of("1,slave,bad_host:7101",
                "m.csv:1: bad host \"bad_host\" in udp address \"bad_host:7101\": " +
                "expected an IPv4 address, a hostname, or [ipv6]"),
            Arguments.of("1,slave,:7101",
                "m.csv:1: bad host \"\" in udp address \":7101\": expected an IPv4 address, a hostname, or [ipv6]"),
            Arguments.of("1,slave,[::zz]:7101",
                "m.csv:1: bad host \"::zz\" in udp address \"[::zz]:7101\": expected an IPv6 address"),
            Arguments.of("1,slave,[::1]7101", "m.csv:1: bad udp address \"[::1]7101\": expected [ipv6]:port"),
            Arguments.of("1,slave,::1:7101",
                "m.csv:1: bad udp address \"::1:7101\": expected an IPv6 address in brackets, like [::1]:7101"),
            Arguments.of("1,slave,127.0.0.1", "m.csv:1: bad udp address \"127.0.0.1\": expected host:port"),
            Arguments.of("1,slave,127.0.0.1:0",
                "m.csv:1: bad port \"0\" in udp address \"127.0.0.1:0\": expected 1..65535"),
            Arguments.of("1,slave,127.0.0.1:65536",
                "m.csv:1: bad port \"65536\" in udp address \"127.0.0.1:65536\": expected 1..65535"),
            Arguments.of("1,slave,localhost:http",
                "m.csv:1: bad port \"http\" in udp address \"localhost:http\": expected 1..65535"),
            Arguments.of("1,slave,,02:52:55:4d:00",
                "m.csv:1: bad mac \"02:52:55:4d:00\": expected six hex pairs separated by colons, " +
                "like 02:52:55:4d:00:01"),
            Arguments.of("1,slave,,02-52-55-4d-00-01",
                "m.csv:1: bad mac \"02-52-55-4d-00-01\": expected six hex pairs separated by colons, " +
                "like 02:52:55:4d:00:01"),
            Arguments.of("1,slave,,0g:52:55:4d:00:01",
                "m.csv:1: bad mac \"0g:52:55:4d:00:01\": expected six hex pairs separated by colons, " +
                "like 02:52:55:4d:00:01"),
            Arguments.of("1,slave,127.0.0.1:7101,,,0",
                "m.csv:1: bad weight \"0\": expected a positive decimal such as 1 or 0.5"),
            Arguments.of("1,slave,127.0.0.1:7101,,,-1",
                "m.csv:1: bad weight \"-1\": expected a positive decimal such as 1 or 0.5"),
            Arguments.of("1,slave,127.0.0.1:7101,,,heavy",
                "m.csv:1: bad weight \"heavy\": expected a positive decimal such as 1 or 0.5"),
            Arguments.of("1,slave,127.0.0.1:7101,,,NaN",
                "m.csv:1: bad weight \"NaN\": expected a positive decimal such as 1 or 0.5"),
            Arguments.of("1,slave,127.0.0.1:7101,,,1e3",
                "m.csv:1: bad weight \"1e3\": expected a positive decimal such as 1 or 0.5"),
            Arguments.of("1,slave,127.0.0.1:7101,,,1" + "0".repeat(400),
                "m.csv:1: bad weight \"1" + "0".repeat(400) + "\": expected a positive decimal such as 1 or 0.5"),
            Arguments.of("1,slave,127.0.0.1:7101,,\"net_memif0,role=server",
                "m.csv:1: unterminated quote in vdev: expected a closing \" before the end of the line"),
            Arguments.of("1,slave,127.0.0.1:7101,,\"net_memif0\" x",
                "m.csv:1: text after the closing quote in vdev: expected a comma"),
            Arguments.of("1,slave,127.0.0.1:7101,,net_memif0\"x\"",
                "m.csv:1: quote inside vdev \"net_memif0\"x\"\": expected the whole field in quotes"),
            Arguments.of("1,client,,02:52:55:4d:00:01,\"net_memif0,role=client,zero-copy=yes,socket=/tmp/r.sock\"",
                "m.csv:1: memif zero-copy=yes is refused: DPDK 22.11's memif closes EAL's own memory file " +
                "descriptor, so the client cannot connect again after its link drops and a file opened later " +
                "may get that descriptor; leave zero-copy out (copy mode)"),
            Arguments.of("", "m.csv:1: no nodes: expected at least one line \"id,role,udp,mac,vdev,weight\""),
            Arguments.of("# comment\nid,role,udp,mac,vdev,weight\n\n",
                "m.csv:3: no nodes: expected at least one line \"id,role,udp,mac,vdev,weight\""),
            Arguments.of("id,role,mac,udp\n1,slave,127.0.0.1:7101",
                "m.csv:1: bad header \"id,role,mac,udp\": expected \"id,role,udp,mac,vdev,weight\""),
            Arguments.of("1,slave,127.0.0.1:7101\nid,role", "m.csv:2: bad id \"id\": expected an integer 1..65535"),
            Arguments.of("1,slave", "m.csv:1: node 1 has no address: expected a udp address, a mac, or both"),
            Arguments.of("1,slave,,,net_memif0",
                "m.csv:1: node 1 has no address: expected a udp address, a mac, or both"),
            Arguments.of("1,slave,127.0.0.1:7101\n2,slave,127.0.0.1:7101",
                "m.csv:2: duplicate udp address \"127.0.0.1:7101\": already used on line 1"),
            Arguments.of("1,slave,Host.example:7101\n2,slave,host.EXAMPLE:7101",
                "m.csv:2: duplicate udp address \"host.EXAMPLE:7101\": already used on line 1"),
            Arguments.of("1,slave,,02:52:55:4d:00:01\n2,slave,,02:52:55:4D:00:01",
                "m.csv:2: duplicate mac \"02:52:55:4D:00:01\": already used on line 1"));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void reportsEachErrorWithFileAndLine(final String text, final String expectedMessage)
    {
        assertError(text, expectedMessage);
    }

    @Test
    void reportsAnUnreadableFileByName()
    {
        final Path missing = dir.resolve("missing.csv");

        final ConfigException ex = assertThrows(ConfigException.class, () -> MachinesCsv.parse(missing));

        assertEquals(missing + ": cannot read: no such file", ex.getMessage());
        assertEquals(0, ex.line());
    }

    @Test
    void reportsBytesThatAreNotUtf8WithTheirLine() throws IOException
    {
        final Path file = dir.resolve("latin1.csv");
        Files.write(file, "1,slave,127.0.0.1:7101\n2,slave,,,caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));

        final ConfigException ex = assertThrows(ConfigException.class, () -> MachinesCsv.parse(file));

        assertEquals(file + ":2: not valid UTF-8: byte 0xe9; expected the file saved as UTF-8", ex.getMessage());
    }

    @Test
    void macAddressRoundTripsThroughTextAndBytes()
    {
        final MacAddress mac = MacAddress.parse("02:52:55:4D:00:FF");

        assertEquals(0x0252_554D_00FFL, mac.value());
        assertEquals("02:52:55:4d:00:ff", mac.toString());
        assertArrayEquals(new byte[] {0x02, 0x52, 0x55, 0x4D, 0x00, (byte)0xFF}, mac.bytes());
        assertEquals(mac, MacAddress.of(mac.bytes()));
        assertThrows(IllegalArgumentException.class, () -> new MacAddress(1L << 48));
    }

    @Test
    void machinesBuiltInCodeKeepTheSameRules()
    {
        final NodeSpec one = new NodeSpec(1, Role.SLAVE, null, MacAddress.parse("02:00:00:00:00:01"), "", 1.0);
        assertNull(one.vdev(), "an empty vdev means none");

        assertThrows(IllegalArgumentException.class, () -> Machines.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Machines.of(List.of(one, one)));
        assertThrows(IllegalArgumentException.class, () -> new NodeSpec(0, Role.SLAVE, null, one.mac(), null, 1));
        assertThrows(IllegalArgumentException.class, () -> new NodeSpec(2, Role.SLAVE, null, null, null, 1));
        assertThrows(IllegalArgumentException.class,
            () -> new NodeSpec(2, Role.SLAVE, null, one.mac(), null, Double.POSITIVE_INFINITY));
    }
}
