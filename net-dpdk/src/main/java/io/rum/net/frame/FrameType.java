package io.rum.net.frame;

/**
 * Frame type codes (header byte 3). Codes are part of the wire protocol: never renumber one.
 */
public final class FrameType
{
    /** Client opens a session: carries its epoch; the answer carries the server's. */
    public static final int CONNECT = 1;
    /** Server accepts a session. */
    public static final int CONNECT_ACK = 2;
    /** One fragment of a request message. */
    public static final int REQUEST = 3;
    /** One fragment of a response message. */
    public static final int RESPONSE = 4;
    /** Selective acknowledgement of fragments of one request or response. */
    public static final int FRAGMENT_ACK = 5;
    /** The receiver cannot take a frame for a reason the sender must act on. */
    public static final int REJECT = 6;
    /** One fragment of a one-way stream message. */
    public static final int STREAM_DATA = 7;
    /** A stream receiver's cumulative acknowledgement, gaps and window. */
    public static final int STREAM_STATUS = 8;

    public static final int MAX_TYPE = STREAM_STATUS;

    private FrameType()
    {
    }

    public static String name(final int type)
    {
        return switch (type)
        {
            case CONNECT -> "CONNECT";
            case CONNECT_ACK -> "CONNECT_ACK";
            case REQUEST -> "REQUEST";
            case RESPONSE -> "RESPONSE";
            case FRAGMENT_ACK -> "FRAGMENT_ACK";
            case REJECT -> "REJECT";
            case STREAM_DATA -> "STREAM_DATA";
            case STREAM_STATUS -> "STREAM_STATUS";
            default -> "UNKNOWN(" + type + ")";
        };
    }

    /**
     * Fixed length of header plus body for a type; the payload, if any, follows.
     *
     * @return the length or -1 for an unknown type.
     */
    public static int fixedLength(final int type)
    {
        return switch (type)
        {
            case CONNECT, CONNECT_ACK -> ConnectFlyweight.LENGTH;
            case REQUEST, RESPONSE -> FragmentFlyweight.PAYLOAD_OFFSET;
            case FRAGMENT_ACK -> FragmentAckFlyweight.LENGTH;
            case REJECT -> RejectFlyweight.LENGTH;
            case STREAM_DATA -> StreamDataFlyweight.PAYLOAD_OFFSET;
            case STREAM_STATUS -> StreamStatusFlyweight.LENGTH;
            default -> -1;
        };
    }

    /**
     * @return true if frames of this type carry a payload after the fixed part.
     */
    public static boolean hasPayload(final int type)
    {
        return type == REQUEST || type == RESPONSE || type == STREAM_DATA;
    }
}
