package io.rum.jcache.remote;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Slave processes for tests: N slave JVMs over UDP loopback with a machines.csv naming them, each logging to a file
 * in the test's folder; stopped by {@link #close} (and by a shutdown hook if the test JVM dies first).
 */
final class SlaveJvms implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final Path dir;
    private final Path machines;
    private final Thread hook = new Thread(this::close, "rum-test-slaves-stop");

    private SlaveJvms(Path dir, Path machines) {
        this.dir = dir;
        this.machines = machines;
    }

    /** Starts {@code count} slaves and waits until each serves. */
    static SlaveJvms start(Path dir, int count) throws IOException {
        final StringBuilder csv = new StringBuilder("id,role,udp\n");
        for (int id = 1; id <= count; id++) {
            try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                csv.append(id).append(",slave,127.0.0.1:").append(s.getLocalPort()).append('\n');
            }
        }
        final Path machines = dir.resolve("machines.csv");
        Files.writeString(machines, csv);
        final SlaveJvms jvms = new SlaveJvms(dir, machines);
        Runtime.getRuntime().addShutdownHook(jvms.hook);
        try {
            for (int id = 1; id <= count; id++) {
                jvms.processes.add(javaProcess(dir.resolve("slave-" + id + ".log"), "io.rum.slave.SlaveMain",
                    "--config", machines.toString(), "--id", Integer.toString(id), "--memory", "128m",
                    "--exit-on-stdin-eof"));
            }
            for (int id = 1; id <= count; id++) {
                jvms.awaitLine(id - 1, "slave " + id + " ready");
            }
            return jvms;
        } catch (IOException | RuntimeException e) {
            jvms.close();
            throw e;
        }
    }

    /** Starts a JVM with this JVM's class path and RUM's JVM options. */
    static Process javaProcess(Path log, String main, String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true", "-cp", System.getProperty("java.class.path"), main));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (log != null) {
            pb.redirectOutput(log.toFile());
        }
        return pb.start();
    }

    private void awaitLine(int index, String line) throws IOException {
        final Path log = dir.resolve("slave-" + (index + 1) + ".log");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(line)) {
                return;
            }
            if (!processes.get(index).isAlive()) {
                throw new IllegalStateException("slave " + (index + 1) + " died: " + Files.readString(log));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("slave " + (index + 1) + " did not start: " + Files.readString(log));
    }

    Path machines() {
        return machines;
    }

    /** Kills every slave at once (kill -9): the "all slaves down" case. */
    void killAll() throws InterruptedException {
        for (final Process p : processes) {
            p.destroyForcibly();
        }
        for (final Process p : processes) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public synchronized void close() {
        for (final Process p : processes) {
            try (OutputStream stdin = p.getOutputStream()) {
                stdin.flush();
            } catch (IOException e) {
                // already gone
            }
        }
        for (final Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down and runs the hook itself
        }
    }
}
