package io.rum.slave;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;
import io.rum.heartbeat.LeaseConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leases with real processes: a slave process, and a client JVM that is killed or paused with signals.
 */
class LeaseProcessTest
{
    private static final LeaseConfig LEASE = LeaseConfig.defaults();
    private static final long LEASE_MS = TimeUnit.NANOSECONDS.toMillis(LEASE.leaseNs());
    private static final long GRACE_MS = TimeUnit.NANOSECONDS.toMillis(LEASE.graceNs());

    private record Client(Process process, BufferedReader out, PrintStream in, String epoch)
    {
        String go() throws IOException
        {
            in.println("go");
            in.flush();
            return out.readLine();
        }
    }

    private static Client startClient(final SlaveProcesses slaves) throws IOException
    {
        final List<String> command = SlaveProcesses.javaCommand(LeaseClientMain.class.getName());
        command.add(slaves.machinesCsv().toString());
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        final String ready = out.readLine();
        assertNotNull(ready, "client died before it was ready");
        assertTrue(ready.startsWith("READY "), ready);
        return new Client(process, out, new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8),
            ready.split(" ")[2]);
    }

    @Test
    @Timeout(60)
    void killedClientLosesItsAnonymousRegionsWithinTheLeaseAndKeepsItsNamedOne() throws Exception
    {
        try (SlaveProcesses slaves = SlaveProcesses.start(1, "64m"))
        {
            final Client client = startClient(slaves);
            SlaveProcesses.signal(client.process(), "KILL");
            final long killedAt = System.nanoTime();
            final String reclaimed = slaves.awaitLog(1, "session " + client.epoch() + " expired", 10_000);
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.printf("client killed: its session reclaimed after %d ms (lease %d ms + grace %d ms)%n",
                elapsedMs, LEASE_MS, GRACE_MS);
            assertNotNull(reclaimed, "the slave reclaimed the dead client's session");
            assertTrue(reclaimed.contains("reclaimed 3 anonymous regions"), reclaimed);
            assertTrue(elapsedMs <= LEASE_MS + 1_000, "reclaimed within lease + 1 s: " + elapsedMs + " ms");
            try (Rum rum = Rum.init(slaves.machinesCsv(), RumOptions.defaults().withPartitionCount(1024)))
            {
                final RumSegment named = rum.attachNamed(LeaseClientMain.NAME);
                for (int i = 0; i < LeaseClientMain.NAMED_SIZE; i++)
                {
                    assertEquals(LeaseClientMain.pattern(i), named.getByte(i), "named byte " + i + " intact");
                }
                final String stats = rum.stats(1);
                assertTrue(stats.contains("regions: 1 of"), "only the named region is left:\n" + stats);
            }
        }
    }

    @Test
    @Timeout(60)
    void clientPausedForHalfALeaseKeepsEverything() throws Exception
    {
        try (SlaveProcesses slaves = SlaveProcesses.start(1, "64m"))
        {
            final Client client = startClient(slaves);
            SlaveProcesses.signal(client.process(), "STOP");
            Thread.sleep(LEASE_MS / 2);
            SlaveProcesses.signal(client.process(), "CONT");
            assertEquals("OK", client.go());
            Thread.sleep(LEASE_MS + GRACE_MS);
            assertEquals("OK", client.go(), "renewals kept the lease after the pause");
            assertNull(slaves.awaitLog(1, "expired", 0), "nothing reclaimed");
            client.in().close();
            client.process().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(60)
    void clientPausedLongerThanItsLeaseIsFencedWithAClearError() throws Exception
    {
        try (SlaveProcesses slaves = SlaveProcesses.start(1, "64m"))
        {
            final Client client = startClient(slaves);
            SlaveProcesses.signal(client.process(), "STOP");
            Thread.sleep(LEASE_MS + GRACE_MS + 1_000);
            assertNotNull(slaves.awaitLog(1, "session " + client.epoch() + " expired", 5_000),
                "reclaimed while the client was stopped");
            SlaveProcesses.signal(client.process(), "CONT");
            final String answer = client.go();
            System.out.println("paused client on waking: " + answer);
            assertTrue(answer.startsWith("FENCED "), answer);
            assertTrue(answer.contains("lease") && answer.contains("new session"), "the error says why: " + answer);
            client.in().close();
            client.process().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
