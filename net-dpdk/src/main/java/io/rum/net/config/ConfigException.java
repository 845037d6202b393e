package io.rum.net.config;

/**
 * A configuration file that cannot be used, located the way compilers locate errors.
 *
 * <p>The message is {@code <source>:<line>: <problem>}, so an editor or a terminal can jump
 * to the line. Line numbers start at 1. When the problem belongs to the whole file rather than
 * one line (it cannot be opened at all), the line is 0 and the message is
 * {@code <source>: <problem>}. A problem with a value quotes the value and says what is expected.
 *
 * <p>Unchecked: a bad configuration is found once, at start-up, and there is nothing a caller
 * can do about it except report it.
 */
public final class ConfigException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** The name of the file (or other source) the problem is in. */
    private final String source;
    /** The 1-based line of the problem, or 0 for the whole file. */
    private final int line;
    /** What is wrong, without the location. */
    private final String problem;

    /**
     * @param source  the name of the file or other source, as the user knows it.
     * @param line    the 1-based line of the problem, or 0 when it is about the whole source.
     * @param problem what is wrong and, for a bad value, the value quoted and what is expected.
     */
    public ConfigException(final String source, final int line, final String problem)
    {
        this(source, line, problem, null);
    }

    /**
     * @param source  the name of the file or other source, as the user knows it.
     * @param line    the 1-based line of the problem, or 0 when it is about the whole source.
     * @param problem what is wrong and, for a bad value, the value quoted and what is expected.
     * @param cause   the underlying failure, or {@code null}.
     */
    public ConfigException(final String source, final int line, final String problem, final Throwable cause)
    {
        super(location(source, line) + problem, cause);
        this.source = source;
        this.line = line;
        this.problem = problem;
    }

    /** @return the name of the file or other source the problem is in. */
    public String source()
    {
        return source;
    }

    /** @return the 1-based line of the problem, or 0 when it is about the whole source. */
    public int line()
    {
        return line;
    }

    /** @return what is wrong, without the {@code source:line: } prefix. */
    public String problem()
    {
        return problem;
    }

    private static String location(final String source, final int line)
    {
        return line > 0 ? source + ":" + line + ": " : source + ": ";
    }
}
