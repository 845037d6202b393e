package io.rum.allocator;

import io.rum.allocator.protocol.Status;
import io.rum.net.transport.RpcStatus;

/**
 * A remote-memory operation failed: either the slave answered with a failure {@link Status} (and says why), or
 * the call itself failed ({@link RpcStatus}: timeout, closed, no route...). Unchecked: the control path throws.
 */
public final class RumException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** {@link #slaveStatus()} when the slave never answered. */
    public static final int NO_ANSWER = -1;

    private final int slaveId;
    private final int slaveStatus;
    private final int rpcStatus;

    /**
     * @param slaveId     the slave called.
     * @param slaveStatus the slave's {@link Status}, or {@link #NO_ANSWER}.
     * @param rpcStatus   the call's {@link RpcStatus}.
     * @param message     what failed and why.
     */
    public RumException(final int slaveId, final int slaveStatus, final int rpcStatus, final String message)
    {
        super(message);
        this.slaveId = slaveId;
        this.slaveStatus = slaveStatus;
        this.rpcStatus = rpcStatus;
    }

    /** The slave answered with a failure. */
    public static RumException slave(final int slaveId, final String operation, final int status, final String reason)
    {
        return new RumException(slaveId, status, RpcStatus.OK, "slave " + slaveId + ": " + operation + " failed: "
            + statusName(status) + " (" + Status.describe(status) + ")" + (reason.isEmpty() ? "" : ": " + reason));
    }

    /** The call to the slave failed. */
    public static RumException call(final int slaveId, final String operation, final int rpcStatus)
    {
        return new RumException(slaveId, NO_ANSWER, rpcStatus,
            "slave " + slaveId + ": " + operation + " failed: " + RpcStatus.describe(rpcStatus));
    }

    public int slaveId()
    {
        return slaveId;
    }

    /** @return the slave's {@link Status}, or {@link #NO_ANSWER} if the call failed. */
    public int slaveStatus()
    {
        return slaveStatus;
    }

    /** @return the call's {@link RpcStatus}; {@link RpcStatus#OK} when the slave answered. */
    public int rpcStatus()
    {
        return rpcStatus;
    }

    /** @return the constant name of a {@link Status}, e.g. {@code OUT_OF_RANGE}. */
    public static String statusName(final int status)
    {
        return switch (status)
        {
            case Status.OK -> "OK";
            case Status.OUT_OF_MEMORY -> "OUT_OF_MEMORY";
            case Status.BAD_HANDLE -> "BAD_HANDLE";
            case Status.FREED -> "FREED";
            case Status.OUT_OF_RANGE -> "OUT_OF_RANGE";
            case Status.NO_SUCH_NAME -> "NO_SUCH_NAME";
            case Status.NAME_SIZE_MISMATCH -> "NAME_SIZE_MISMATCH";
            case Status.BAD_REQUEST -> "BAD_REQUEST";
            case Status.NOT_ALLOWED -> "NOT_ALLOWED";
            case Status.FENCED -> "FENCED";
            default -> "STATUS_" + status;
        };
    }
}
