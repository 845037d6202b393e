package io.rum.net.reliability;

import java.util.concurrent.TimeUnit;

/**
 * Settings of a {@link ReliableTransport}, validated once. Every limit that bounds memory or time is here.
 *
 * @param nodeId                  this node's id: 1..65535 for the nodes of machines.csv; clients that no
 *                                configuration names may take larger ids (frames carry 32 bits).
 * @param slotsPerSession         calls in flight per client session (eRPC's session credits), 1..32.
 * @param fragmentWindow          fragments of one message in flight before an acknowledgement, 1..64.
 * @param sessionCredits          unacknowledged request fragments per session across all its slots.
 * @param maxMessageLength        largest RPC request or response.
 * @param reassemblyBudgetBytes   bytes all partly received messages of this node may hold at once.
 * @param retainBufferBytes       message buffers up to this size are kept for reuse; larger ones are dropped
 *                                after use so an idle session holds little memory.
 * @param initialRtoNs            retransmission timeout before any round trip was measured.
 * @param minRtoNs                lower bound of the adaptive retransmission timeout.
 * @param maxRtoNs                upper bound, also of the exponential backoff.
 * @param connectTimeoutNs        a server that answers no CONNECT for this long is taken as down: the calls
 *                                waiting for it fail with TIMEOUT before their own deadlines.
 * @param maxServerSessions       client sessions a server holds; more are refused.
 * @param sessionIdleTimeoutNs    a server forgets a client session idle this long when it needs the room.
 * @param streamWindowFrames      frames a stream receiver buffers out of order; also the flow-control window.
 * @param streamLogFrames         frames a publication keeps for retransmission; bounds unacknowledged data.
 * @param streamStatusIntervalNs  how often a stream receiver reports when it has news.
 * @param maxStreams              streams (publications plus subscriber images) a node holds.
 * @param pollLimit               frames taken from the medium per duty cycle.
 */
public record TransportConfig(
    int nodeId,
    int slotsPerSession,
    int fragmentWindow,
    int sessionCredits,
    int maxMessageLength,
    long reassemblyBudgetBytes,
    int retainBufferBytes,
    long initialRtoNs,
    long minRtoNs,
    long maxRtoNs,
    long connectTimeoutNs,
    int maxServerSessions,
    long sessionIdleTimeoutNs,
    int streamWindowFrames,
    int streamLogFrames,
    long streamStatusIntervalNs,
    int maxStreams,
    int pollLimit)
{
    public static final int MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;

    public TransportConfig
    {
        check(nodeId >= 1, "nodeId must be positive: " + nodeId);
        check(slotsPerSession >= 1 && slotsPerSession <= 32, "slotsPerSession must be in 1..32");
        check(fragmentWindow >= 1 && fragmentWindow <= 64, "fragmentWindow must be in 1..64");
        check(sessionCredits >= fragmentWindow, "sessionCredits must be at least fragmentWindow");
        check(maxMessageLength >= 0 && maxMessageLength <= MAX_MESSAGE_LENGTH,
            "maxMessageLength must be in 0.." + MAX_MESSAGE_LENGTH);
        check(reassemblyBudgetBytes >= maxMessageLength, "reassemblyBudgetBytes must hold one largest message");
        check(retainBufferBytes >= 0, "retainBufferBytes must not be negative");
        check(minRtoNs > 0 && minRtoNs <= initialRtoNs && initialRtoNs <= maxRtoNs, "need 0 < minRto <= initialRto <= maxRto");
        check(connectTimeoutNs > 0, "connectTimeoutNs must be positive");
        check(maxServerSessions >= 1, "maxServerSessions must be positive");
        check(sessionIdleTimeoutNs > 0, "sessionIdleTimeoutNs must be positive");
        check(streamWindowFrames >= 1 && streamWindowFrames <= 64, "streamWindowFrames must be in 1..64");
        check(streamLogFrames >= streamWindowFrames && Integer.bitCount(streamLogFrames) == 1,
            "streamLogFrames must be a power of two and at least streamWindowFrames");
        check(streamStatusIntervalNs > 0, "streamStatusIntervalNs must be positive");
        check(maxStreams >= 1, "maxStreams must be positive");
        check(pollLimit >= 1, "pollLimit must be positive");
    }

    /**
     * Defaults for a node: 8 slots, 32-fragment window, 64 MiB messages, 256 MiB reassembly, RTO 200 µs to
     * 100 ms starting at 1 ms.
     */
    public static TransportConfig defaults(final int nodeId)
    {
        return new TransportConfig(
            nodeId, 8, 32, 128, MAX_MESSAGE_LENGTH, 256L * 1024 * 1024, 256 * 1024,
            TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200), TimeUnit.MILLISECONDS.toNanos(100),
            TimeUnit.SECONDS.toNanos(5), 4096, TimeUnit.SECONDS.toNanos(60), 64, 256,
            TimeUnit.MICROSECONDS.toNanos(200), 1024, 64);
    }

    public TransportConfig withNodeId(final int id)
    {
        return new TransportConfig(id, slotsPerSession, fragmentWindow, sessionCredits, maxMessageLength,
            reassemblyBudgetBytes, retainBufferBytes, initialRtoNs, minRtoNs, maxRtoNs, connectTimeoutNs,
            maxServerSessions, sessionIdleTimeoutNs, streamWindowFrames, streamLogFrames, streamStatusIntervalNs,
            maxStreams, pollLimit);
    }

    public TransportConfig withRto(final long initialNs, final long minNs, final long maxNs)
    {
        return new TransportConfig(nodeId, slotsPerSession, fragmentWindow, sessionCredits, maxMessageLength,
            reassemblyBudgetBytes, retainBufferBytes, initialNs, minNs, maxNs, connectTimeoutNs,
            maxServerSessions, sessionIdleTimeoutNs, streamWindowFrames, streamLogFrames, streamStatusIntervalNs,
            maxStreams, pollLimit);
    }

    public TransportConfig withMaxServerSessions(final int sessions)
    {
        return new TransportConfig(nodeId, slotsPerSession, fragmentWindow, sessionCredits, maxMessageLength,
            reassemblyBudgetBytes, retainBufferBytes, initialRtoNs, minRtoNs, maxRtoNs, connectTimeoutNs,
            sessions, sessionIdleTimeoutNs, streamWindowFrames, streamLogFrames, streamStatusIntervalNs,
            maxStreams, pollLimit);
    }

    private static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }
}
