package io.rum.tck;

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
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The remote TCK run's cluster: when {@code rum.tck.mode=remote}, starts {@code rum.tck.slaves} (default 3) slave
 * JVMs over UDP loopback before the TCK runs, points the provider at them ({@code rum.machines}), and stops them
 * when the run ends (and from a shutdown hook, should the run die). Each slave's output goes to
 * {@code target/tck-remote/slave-N.log}.
 */
public final class RemoteSlaves implements LauncherSessionListener {
    private static final long START_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private final List<Process> slaves = new ArrayList<>();
    private Thread hook;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (!"remote".equals(System.getProperty("rum.tck.mode"))) {
            return;
        }
        final int count = Integer.getInteger("rum.tck.slaves", 3);
        try {
            final Path dir = Path.of(System.getProperty("rum.tck.dir", "target/tck-remote")).toAbsolutePath();
            Files.createDirectories(dir);
            final StringBuilder csv = new StringBuilder("id,role,udp\n");
            for (int id = 1; id <= count; id++) {
                csv.append(id).append(",slave,127.0.0.1:").append(freeUdpPort()).append('\n');
            }
            final Path machines = dir.resolve("machines.csv");
            Files.writeString(machines, csv);
            hook = new Thread(this::stop, "rum-tck-slaves-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            for (int id = 1; id <= count; id++) {
                slaves.add(start(machines, id, dir.resolve("slave-" + id + ".log")));
            }
            for (int id = 1; id <= count; id++) {
                awaitReady(slaves.get(id - 1), dir.resolve("slave-" + id + ".log"), id);
            }
            System.setProperty("rum.machines", machines.toString());
            System.out.println("remote TCK cluster: " + count + " slave JVMs on UDP loopback, machines " + machines);
        } catch (IOException | RuntimeException e) {
            stop();
            throw new IllegalStateException("cannot start the remote TCK's slaves: " + e.getMessage(), e);
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Process start(Path machines, int id, Path log) throws IOException {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = List.of(java,
            "-Xmx256m", "-XX:MaxDirectMemorySize=1g", "-XX:+UseSerialGC",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true",
            "-cp", System.getProperty("java.class.path"),
            "io.rum.slave.SlaveMain", "--config", machines.toString(), "--id", Integer.toString(id),
            "--memory", "256m", "--exit-on-stdin-eof");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitReady(Process p, Path log, int id) throws IOException {
        final long deadline = System.nanoTime() + START_TIMEOUT_NS;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains("slave " + id + " ready")) {
                return;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("slave " + id + " exited with " + p.exitValue() + ": " + tail(log));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while slave " + id + " started", e);
            }
        }
        throw new IllegalStateException("slave " + id + " not ready after 60 s: " + tail(log));
    }

    private static String tail(Path log) throws IOException {
        final String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
        return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        stop();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs stop() again, which finds nothing left
            }
        }
    }

    private synchronized void stop() {
        for (final Process p : slaves) {
            try (OutputStream stdin = p.getOutputStream()) {
                stdin.flush(); // closing stdin tells the slave to stop (--exit-on-stdin-eof)
            } catch (IOException e) {
                // it is gone already
            }
        }
        for (final Process p : slaves) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        slaves.clear();
    }
}
