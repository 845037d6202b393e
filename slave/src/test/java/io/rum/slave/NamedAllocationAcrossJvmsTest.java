package io.rum.slave;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A named allocation outlives its client's JVM and is re-attached, same bytes, from another JVM. */
@Timeout(120)
class NamedAllocationAcrossJvmsTest
{
    @Test
    void namedRegionSurvivesTheWritersJvm() throws Exception
    {
        final String name = "across-jvms-" + ProcessHandle.current().pid();
        final long size = 300_001;
        final long seed = 5;
        try (SlaveProcesses slaves = SlaveProcesses.start(2, "64m"))
        {
            final List<String> command = SlaveProcesses.javaCommand(NamedWriterMain.class.getName());
            command.addAll(List.of(slaves.machinesCsv().toString(), name, Long.toString(size), Long.toString(seed)));
            final Process writer = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try
            {
                final String line = new BufferedReader(new InputStreamReader(writer.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
                assertTrue(writer.waitFor(60, TimeUnit.SECONDS), "the writer JVM exits");
                assertEquals("written", line);
                assertEquals(0, writer.exitValue());
            }
            finally
            {
                writer.destroyForcibly();
            }
            try (Rum rum = Rum.init(slaves.machinesCsv(), RumOptions.defaults().withPartitionCount(1024)))
            {
                final RumSegment attached = rum.attachNamed(name);
                assertEquals(size, attached.size());
                final byte[] back = new byte[(int)size];
                attached.copyTo(0, back, 0, back.length);
                for (int i = 0; i < back.length; i++)
                {
                    if (back[i] != NamedWriterMain.pattern(seed, i))
                    {
                        throw new AssertionError("byte " + i + " is " + back[i] + ", expected "
                            + NamedWriterMain.pattern(seed, i));
                    }
                }
                assertEquals(size, rum.allocNamed(name, size).size(), "allocNamed of the same size attaches");
                int regions = 0;
                for (int slave = 1; slave <= 2; slave++)
                {
                    final String stats = rum.stats(slave);
                    regions += Integer.parseInt(stats.lines().filter(l -> l.startsWith("regions: ")).findFirst()
                        .orElseThrow().split(" ")[1]);
                }
                assertEquals(1, regions, "the writer's anonymous region was freed by its close; the named one stays");
                rum.free(attached);
            }
        }
    }
}
