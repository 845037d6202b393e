package io.rum.net.reliability;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What a memif-like shared-memory ring costs when Java polls it itself, with plain loads and stores and no DPDK: the
 * floor of "RUM speaking memif from Java" (option (c) in the stop 12 notes). Two JVMs map one file in /dev/shm holding
 * two single-producer single-consumer rings (client to server, server to client), each a head and a tail on cache
 * lines of their own and 256 slots of 10 KiB; a frame is copied into a slot, the head published with a release store,
 * read with an acquire load on the other side, copied out, the tail published. Pinned like the C baseline:
 * SERVER_CPU for the echo JVM (taskset), CLIENT_CPU for this JVM's calling thread.
 *
 *   ShmRingExp <size>        (this JVM: client; it starts "ShmRingExp echo <file>" as the server)
 *
 * LEAN=1 adds what RawMemifExp's LEAN=1 adds per frame: a CRC32C computed by the sender and checked by the receiver,
 * the payload copied in and out of Java arrays (no RUM header: the ring carries only the payload and its CRC).
 */
public final class ShmRingExp
{
    private static final int SLOTS = 256;
    private static final int SLOT_SIZE = 10_240;
    private static final long HEAD = 0;
    private static final long TAIL = 64;
    private static final long SLOTS_AT = 128;
    private static final long RING_SIZE = SLOTS_AT + (long)SLOTS * SLOT_SIZE;
    private static final java.lang.invoke.VarHandle COUNTER = ValueLayout.JAVA_LONG.varHandle();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    /** One direction: the producer side or the consumer side of a ring at {@code base} in the mapped file. */
    private static final class Ring
    {
        private final MemorySegment memory;
        private final long base;
        private long next;

        Ring(final MemorySegment memory, final long base)
        {
            this.memory = memory;
            this.base = base;
        }

        private long slot(final long index)
        {
            return base + SLOTS_AT + (index % SLOTS) * SLOT_SIZE;
        }

        /** Producer: copies the frame in and publishes it; false if the ring is full. */
        boolean offer(final byte[] frame, final int length)
        {
            final long tail = (long)COUNTER.getAcquire(memory, base + TAIL);
            if (next - tail >= SLOTS)
            {
                return false;
            }
            final long at = slot(next);
            memory.set(INT, at, length);
            MemorySegment.copy(frame, 0, memory, ValueLayout.JAVA_BYTE, at + 4, length);
            next++;
            COUNTER.setRelease(memory, base + HEAD, next);
            return true;
        }

        /** Consumer: the length of the next frame, copied into {@code into}, or -1 if none. */
        int poll(final byte[] into)
        {
            final long head = (long)COUNTER.getAcquire(memory, base + HEAD);
            if (head == next)
            {
                return -1;
            }
            final long at = slot(next);
            final int length = memory.get(INT, at);
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, at + 4, into, 0, length);
            next++;
            COUNTER.setRelease(memory, base + TAIL, next);
            return length;
        }
    }

    public static void main(final String[] args) throws Throwable
    {
        if (args[0].equals("echo"))
        {
            echo(Path.of(args[1]));
            return;
        }
        final int size = Integer.parseInt(args[0]);
        final Path file = Path.of("/dev/shm", "rum-ring-" + ProcessHandle.current().pid());
        final MemorySegment memory = map(file, true, 2 * RING_SIZE);
        final Process server = startEcho(ShmRingExp.class, file);
        if (System.getenv("CLIENT_CPU") != null)
        {
            MemifExp.pin(Integer.parseInt(System.getenv("CLIENT_CPU")));
        }
        final boolean lean = "1".equals(System.getenv("LEAN"));
        final Ring requests = new Ring(memory, 0);
        final Ring replies = new Ring(memory, RING_SIZE);
        final byte[] frame = new byte[size + 4];
        final byte[] reply = new byte[SLOT_SIZE];
        final byte[] payload = new byte[size];
        final UnsafeBuffer frameView = new UnsafeBuffer(frame);
        final UnsafeBuffer replyView = new UnsafeBuffer(reply);
        final UnsafeBuffer payloadView = new UnsafeBuffer(payload);
        final CRC32C crc = new CRC32C();
        final int rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "4"));
        for (int round = 0; round < rounds; round++)
        {
            final Histogram h = new Histogram(10_000_000_000L, 3);
            long bad = 0;
            for (int i = 0; i < 200_000; i++)
            {
                final long t0 = System.nanoTime();
                payloadView.putLong(0, t0);
                System.arraycopy(payload, 0, frame, 0, size);
                int length = size;
                if (lean)
                {
                    crc.reset();
                    crc.update(frame, 0, size);
                    frameView.putInt(size, (int)crc.getValue());
                    length = size + 4;
                }
                while (!requests.offer(frame, length))
                {
                    Thread.onSpinWait();
                }
                int got;
                while ((got = replies.poll(reply)) < 0)
                {
                    // spin: the echo answers within a microsecond
                }
                if (lean)
                {
                    crc.reset();
                    crc.update(reply, 0, got - 4);
                    if ((int)crc.getValue() != replyView.getInt(got - 4))
                    {
                        bad++;
                    }
                    System.arraycopy(reply, 0, payload, 0, got - 4);
                }
                final long t1 = System.nanoTime();
                if (replyView.getLong(0) != t0)
                {
                    bad++;
                }
                if (i >= 50_000)
                {
                    h.recordValue(t1 - t0);
                }
            }
            System.out.printf("java shm ring%s size=%d p50=%.2f p90=%.2f p99=%.2f bad=%d%n", lean ? " lean" : "", size,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                bad);
        }
        frameView.putLong(0, -1);
        while (!requests.offer(frame, 8))
        {
            Thread.onSpinWait();
        }
        server.waitFor();
        Files.deleteIfExists(file);
    }

    private static void echo(final Path file) throws Throwable
    {
        final MemorySegment memory = map(file, false, 2 * RING_SIZE);
        final Ring requests = new Ring(memory, 0);
        final Ring replies = new Ring(memory, RING_SIZE);
        final boolean lean = "1".equals(System.getenv("LEAN"));
        final byte[] frame = new byte[SLOT_SIZE];
        final byte[] payload = new byte[SLOT_SIZE];
        final UnsafeBuffer frameView = new UnsafeBuffer(frame);
        final CRC32C crc = new CRC32C();
        System.out.println("ECHO READY");
        System.out.flush();
        while (true)
        {
            final int length = requests.poll(frame);
            if (length < 0)
            {
                continue;
            }
            if (length == 8 && frameView.getLong(0) == -1)
            {
                return;
            }
            if (lean)
            {
                crc.reset();
                crc.update(frame, 0, length - 4);
                if ((int)crc.getValue() != frameView.getInt(length - 4))
                {
                    continue;
                }
                System.arraycopy(frame, 0, payload, 0, length - 4);
                System.arraycopy(payload, 0, frame, 0, length - 4);
                crc.reset();
                crc.update(frame, 0, length - 4);
                frameView.putInt(length - 4, (int)crc.getValue());
            }
            while (!replies.offer(frame, length))
            {
                Thread.onSpinWait();
            }
        }
    }

    /** Maps the rings' file, creating it (the client) or opening the one the client made (the echo). */
    static MemorySegment map(final Path file, final boolean create, final long size) throws Exception
    {
        try (FileChannel channel = create ?
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE) :
            FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, size, Arena.global());
        }
    }

    /**
     * Starts {@code main}'s "echo &lt;file&gt;" in a child JVM on SERVER_CPU (taskset) if set, and returns once it printed
     * its first line (echoed here).
     */
    static Process startEcho(final Class<?> main, final Path file) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        if (System.getenv("SERVER_CPU") != null)
        {
            cmd.addAll(List.of("taskset", "-c", System.getenv("SERVER_CPU")));
        }
        cmd.addAll(List.of(ProcessHandle.current().info().command().get(), "-Xmx256m", "-XX:+UseParallelGC",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), main.getName(), "echo", file.toString()));
        final Process server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream()));
        System.out.println(out.readLine());
        return server;
    }
}
