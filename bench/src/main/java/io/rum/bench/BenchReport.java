package io.rum.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;

/**
 * Replaces one benchmark's section of docs/BENCHMARKS.md, between {@code <!-- bench:NAME -->} and
 * {@code <!-- /bench:NAME -->}, with the new results, the command that reproduces them and the machine.
 */
final class BenchReport
{
    private BenchReport()
    {
    }

    static void update(final Path file, final String name, final String command, final String markdown,
        final boolean write) throws IOException
    {
        final String section = "<!-- bench:" + name + " -->\n" +
            "Command: `" + command + "`, run " + LocalDate.now() + " on " + machine() + ".\n\n" +
            markdown + "<!-- /bench:" + name + " -->";
        System.out.println();
        System.out.println(section);
        if (!write)
        {
            return;
        }
        if (!Files.exists(file))
        {
            System.out.println("(no " + file + " here: results printed only)");
            return;
        }
        final String text = Files.readString(file);
        final String begin = "<!-- bench:" + name + " -->";
        final String end = "<!-- /bench:" + name + " -->";
        final int from = text.indexOf(begin);
        final int to = text.indexOf(end);
        final String updated = from >= 0 && to > from ?
            text.substring(0, from) + section + text.substring(to + end.length()) :
            text + "\n" + section + "\n";
        Files.writeString(file, updated);
        System.out.println("(updated " + file + ")");
    }

    static String machine()
    {
        return Runtime.getRuntime().availableProcessors() + " cores, " +
            (Runtime.getRuntime().maxMemory() >> 20) + " MiB max heap, " + System.getProperty("os.name") + " " +
            System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }
}
