package io.rum.slave;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class SlaveMainTest
{
    @TempDir
    Path dir;

    private record Result(int code, String out, String err)
    {
    }

    private static Result run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = SlaveMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), new ByteArrayInputStream(new byte[0]));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badMachinesLineExitsTwoWithFileAndLine() throws Exception
    {
        final Path csv = dir.resolve("machines.csv");
        Files.writeString(csv, "id,role,udp\n1,slave,127.0.0.1:7101\n2,slaev,127.0.0.1:7102\n");
        final Result result = run("--config", csv.toString(), "--id", "1");
        assertEquals(SlaveMain.EXIT_CONFIG, result.code());
        assertTrue(result.err().startsWith("slave: " + csv + ":3: "), result.err());
    }

    @Test
    void badMachinesLineInAChildProcess() throws Exception
    {
        final Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "id,role,udp\n1,slave,127.0.0.1:99999\n");
        final List<String> command = SlaveProcesses.javaCommand(SlaveMain.class.getName());
        command.addAll(List.of("--config", csv.toString(), "--id", "1", "--exit-on-stdin-eof"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, process.exitValue(), output);
            assertTrue(output.contains(csv + ":2: bad port \"99999\""), output);
        }
        finally
        {
            process.destroyForcibly();
        }
    }

    @Test
    void aSlaveWithItsPollerPinnedServesAndStops() throws Exception
    {
        final int port;
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final Path csv = dir.resolve("pinned.csv");
        Files.writeString(csv, "id,role,udp\n1,slave,127.0.0.1:" + port + "\n");
        final Result result = run("--config", csv.toString(), "--id", "1", "--memory", "16m", "--cpu", "0",
            "--exit-on-stdin-eof");
        assertEquals(0, result.code(), result.err());
        assertTrue(result.out().contains("slave 1 ready on"), result.out());
    }

    @Test
    void usageMistakes() throws Exception
    {
        final Path csv = dir.resolve("machines.csv");
        Files.writeString(csv, "id,role,udp\n1,slave,127.0.0.1:7101\n2,client,127.0.0.1:7102\n3,slave,,02:00:00:00:00:03\n");
        assertEquals(2, run().code());
        assertTrue(run("--id", "1").err().contains("--config is required"));
        assertTrue(run("--config", csv.toString()).err().contains("--id is required"));
        assertTrue(run("--config", csv.toString(), "--id", "x").err().contains("bad --id \"x\""));
        assertTrue(run("--config", csv.toString(), "--id", "1", "--memory", "lots").err().contains("bad size \"lots\""));
        assertTrue(run("--frobnicate").err().contains("unknown argument \"--frobnicate\""));
        assertTrue(run("--config", csv.toString(), "--id", "1", "--cpu", "4096").err()
            .contains("--cpu 4096: not a CPU this process may run on"));
        assertTrue(run("--config", csv.toString(), "--id", "9").err().contains("node 9 is not in"));
        assertTrue(run("--config", csv.toString(), "--id", "2").err().contains("is a client, not a slave"));
        assertTrue(run("--config", csv.toString(), "--id", "3").err().contains("has no udp address"));
        assertTrue(run("--config", dir.resolve("missing.csv").toString(), "--id", "1").err().contains("cannot read"));
        assertEquals(0, run("--help").code());
    }

    @Test
    void stopsCleanlyOnSigterm() throws Exception
    {
        final Path csv = dir.resolve("sig.csv");
        Files.writeString(csv, "id,role,udp\n1,slave,127.0.0.1:" + freePort() + "\n");
        final List<String> command = SlaveProcesses.javaCommand(SlaveMain.class.getName());
        command.addAll(List.of("--config", csv.toString(), "--id", "1", "--memory", "16m"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            final String ready = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)).readLine();
            // stderr is merged: the start-up log line comes first, then the ready line.
            assertTrue(null != ready && (ready.contains("ready on udp") || ready.contains("serving on udp")),
                String.valueOf(ready));
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
        }
        finally
        {
            process.destroyForcibly();
        }
    }

    private static int freePort() throws Exception
    {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}
