package io.rum.slave;

import io.rum.allocator.Buffers;
import io.rum.allocator.offheap.SizeClassAllocator;
import io.rum.allocator.placement.Handles;
import io.rum.allocator.protocol.Opcode;
import io.rum.allocator.protocol.RequestFlyweight;
import io.rum.allocator.protocol.ResponseFlyweight;
import io.rum.allocator.protocol.Status;
import io.rum.net.transport.ResponseWriter;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one path by which a slave's state changes: every request, from any client, is decoded, validated and
 * applied here, and answered with a {@link ResponseFlyweight}.
 *
 * <h2>Why one path</h2>
 * Replication will feed the same requests, in log order, to the state machines of the backups. That works only
 * if this class is a function of the request sequence: it reads no clock, draws no random number, iterates no
 * unordered collection into a response, and depends on nothing but its {@link RegionTable} and
 * {@link SizeClassAllocator} (themselves deterministic). The same requests give the same responses, byte for
 * byte, which {@code SlaveStateMachineTest} checks.
 *
 * <h2>Validation</h2>
 * Nothing in a request is trusted: the length of the request, the opcode, the handle (node, slot, generation),
 * sizes (at least 1), offsets and lengths (checked without overflow against the region's requested size, never
 * the allocator's larger usable size), names (1..1024 bytes of valid UTF-8), and whether the payload is what the
 * opcode takes. A failure is answered with a {@link Status} and a reason a person can act on, e.g.
 * {@code offset 4096 + length 8 outside region of 4096 bytes}, and changes nothing: a full slave answers
 * {@link Status#OUT_OF_MEMORY} and keeps serving.
 *
 * <h2>Semantics</h2>
 * <ul>
 * <li>Every new region is zeroed (ALLOC too, not only CALLOC), so no client reads another's freed bytes.</li>
 * <li>ALLOC_NAMED creates a named region or attaches to the existing one of the same size; another size is
 * {@link Status#NAME_SIZE_MISMATCH}. Named regions are permanent: a client's close does not free them.</li>
 * <li>REALLOC keeps the handle; the bytes may move inside the slave; growth reads as zeros; a refused growth
 * leaves the region intact. Named regions may be resized too (re-attaching then needs the new size).</li>
 * <li>FREE frees by handle, named regions included (their name becomes free): whoever holds the handle of a
 * named region may free it.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Not thread-safe, by design: {@link SlaveServer} calls {@link #apply} only from the transport's single poller
 * thread, so there are no locks.
 */
public final class SlaveStateMachine
{
    /** The longest name of a named region, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 1024;
    private static final int OPCODES = 16;

    private final int nodeId;
    private final SizeClassAllocator allocator;
    private final RegionTable regions;
    private final int maxPayloadBytes;
    private final RequestFlyweight request = new RequestFlyweight();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final long[] applied = new long[OPCODES];
    private final long[] failed = new long[OPCODES];
    private long requests;
    private long reclaimedSessions;
    private long reclaimedRegions;
    private long reclaimedBytes;
    private long lastReclaimedBytes;

    /**
     * @param nodeId           this slave's id.
     * @param allocator        where region bytes live; owned by the caller.
     * @param maxRegions       the most regions at once.
     * @param maxMessageLength the largest response the transport carries: bounds READ.
     */
    public SlaveStateMachine(final int nodeId, final SizeClassAllocator allocator, final int maxRegions,
        final int maxMessageLength)
    {
        this.nodeId = nodeId;
        this.allocator = allocator;
        this.regions = new RegionTable(nodeId, maxRegions);
        this.maxPayloadBytes = maxMessageLength - ResponseFlyweight.HEADER_LENGTH;
        if (maxPayloadBytes < 1)
        {
            throw new IllegalArgumentException("maxMessageLength " + maxMessageLength + " leaves no room for data");
        }
    }

    public RegionTable regions()
    {
        return regions;
    }

    /** @return requests of an opcode applied successfully. */
    public long appliedCount(final int opcode)
    {
        return applied[index(opcode)];
    }

    /** @return requests of an opcode answered with a failure. */
    public long failedCount(final int opcode)
    {
        return failed[index(opcode)];
    }

    /**
     * Applies one request and writes the response. Never throws for a bad request: it is answered.
     *
     * @param clientNode the calling node: owner of the regions it creates.
     */
    public void apply(final int clientNode, final DirectBuffer buffer, final int offset, final int length,
        final ResponseWriter response)
    {
        requests++;
        if (length < RequestFlyweight.HEADER_LENGTH)
        {
            failed[0]++;
            fail(response, Status.BAD_REQUEST, "request of " + length + " bytes is shorter than the "
                + RequestFlyweight.HEADER_LENGTH + "-byte header");
            return;
        }
        request.wrapForRead(buffer, offset, length);
        final int opcode = request.opcode();
        final int status = dispatch(clientNode, opcode, response);
        if (status == Status.OK)
        {
            applied[index(opcode)]++;
        }
        else
        {
            failed[index(opcode)]++;
        }
    }

    private int dispatch(final int clientNode, final int opcode, final ResponseWriter response)
    {
        return switch (opcode)
        {
            case Opcode.ALLOC, Opcode.CALLOC -> alloc(clientNode, opcode, response);
            case Opcode.ALLOC_NAMED -> allocNamed(clientNode, response);
            case Opcode.LOOKUP_NAMED -> lookupNamed(response);
            case Opcode.REALLOC -> realloc(response);
            case Opcode.FREE -> free(response);
            case Opcode.READ -> read(response);
            case Opcode.WRITE -> write(response);
            case Opcode.STATS -> stats(response);
            default -> fail(response, Status.BAD_REQUEST, "unknown opcode " + opcode);
        };
    }

    private int alloc(final int clientNode, final int opcode, final ResponseWriter response)
    {
        final long size = request.lengthOrSize();
        if (request.payloadLength() != 0)
        {
            return noPayload(opcode, response);
        }
        if (size < 1)
        {
            return fail(response, Status.BAD_REQUEST, Opcode.name(opcode) + " of " + size + " bytes: a region needs at least 1 byte");
        }
        return create(clientNode, opcode, size, null, response);
    }

    private int create(final int clientNode, final int opcode, final long size, final String name,
        final ResponseWriter response)
    {
        if (regions.isFull())
        {
            return fail(response, Status.OUT_OF_MEMORY, Opcode.name(opcode) + " of " + size
                + " bytes: the region table is full (" + regions.maxRegions() + " regions)");
        }
        final long token = allocator.allocate(size);
        if (token == SizeClassAllocator.OUT_OF_MEMORY)
        {
            return fail(response, Status.OUT_OF_MEMORY, Opcode.name(opcode) + " of " + size + " bytes: "
                + memoryText());
        }
        allocator.zero(token, size);
        final int slot = regions.add(token, size, clientNode, null == name ? request.leaseEpoch() : 0, name);
        return ok(response, regions.handle(slot), size);
    }

    private int allocNamed(final int clientNode, final ResponseWriter response)
    {
        final long size = request.lengthOrSize();
        final String name = name(response);
        if (null == name)
        {
            return Status.BAD_REQUEST;
        }
        if (size < 1)
        {
            return fail(response, Status.BAD_REQUEST, "allocNamed \"" + name + "\" of " + size
                + " bytes: a region needs at least 1 byte");
        }
        final int existing = regions.slotOf(name);
        if (existing >= 0)
        {
            final long existingSize = regions.sizeBytes(existing);
            if (existingSize != size)
            {
                return fail(response, Status.NAME_SIZE_MISMATCH, "region \"" + name + "\" has " + existingSize
                    + " bytes, not " + size);
            }
            return ok(response, regions.handle(existing), existingSize);
        }
        return create(clientNode, Opcode.ALLOC_NAMED, size, name, response);
    }

    private int lookupNamed(final ResponseWriter response)
    {
        final String name = name(response);
        if (null == name)
        {
            return Status.BAD_REQUEST;
        }
        final int slot = regions.slotOf(name);
        if (slot < 0)
        {
            return fail(response, Status.NO_SUCH_NAME, "no region named \"" + name + "\" on slave " + nodeId);
        }
        return ok(response, regions.handle(slot), regions.sizeBytes(slot));
    }

    private int realloc(final ResponseWriter response)
    {
        if (request.payloadLength() != 0)
        {
            return noPayload(Opcode.REALLOC, response);
        }
        final int slot = resolve(Opcode.REALLOC, response);
        if (slot < 0)
        {
            return -slot;
        }
        final long newSize = request.lengthOrSize();
        if (newSize < 1)
        {
            return fail(response, Status.BAD_REQUEST, "realloc to " + newSize + " bytes: a region needs at least 1 byte");
        }
        final long oldSize = regions.sizeBytes(slot);
        final long token = allocator.reallocate(regions.token(slot), newSize);
        if (token == SizeClassAllocator.OUT_OF_MEMORY)
        {
            return fail(response, Status.OUT_OF_MEMORY, "realloc of " + Handles.toString(request.handle()) + " from "
                + oldSize + " to " + newSize + " bytes: " + memoryText() + "; the region is unchanged");
        }
        if (newSize > oldSize)
        {
            allocator.segment(token, oldSize, newSize - oldSize).fill((byte)0);
        }
        regions.token(slot, token);
        regions.sizeBytes(slot, newSize);
        return ok(response, request.handle(), newSize);
    }

    private int free(final ResponseWriter response)
    {
        if (request.payloadLength() != 0)
        {
            return noPayload(Opcode.FREE, response);
        }
        final int slot = resolve(Opcode.FREE, response);
        if (slot < 0)
        {
            return -slot;
        }
        final long size = regions.sizeBytes(slot);
        allocator.free(regions.token(slot));
        regions.remove(slot);
        return ok(response, request.handle(), size);
    }

    private int read(final ResponseWriter response)
    {
        if (request.payloadLength() != 0)
        {
            return noPayload(Opcode.READ, response);
        }
        final int slot = resolve(Opcode.READ, response);
        if (slot < 0)
        {
            return -slot;
        }
        final long length = request.lengthOrSize();
        if (length < 0 || length > maxPayloadBytes)
        {
            return fail(response, Status.BAD_REQUEST, "read of " + length + " bytes: a read takes 0.."
                + maxPayloadBytes + " bytes");
        }
        if (!inRange(slot, request.regionOffset(), length, response))
        {
            return Status.OUT_OF_RANGE;
        }
        final int n = (int)length;
        final MutableDirectBuffer out = response.buffer(ResponseFlyweight.HEADER_LENGTH + n);
        ResponseFlyweight.write(out, Status.OK, request.handle(), regions.sizeBytes(slot));
        final long token = regions.token(slot);
        final byte[] array = out.byteArray();
        if (null != array)
        {
            allocator.getBytes(token, request.regionOffset(), array,
                out.wrapAdjustment() + ResponseFlyweight.HEADER_LENGTH, n);
        }
        else if (n > 0)
        {
            Buffers.copy(allocator.segment(token, request.regionOffset(), n), 0, out, ResponseFlyweight.HEADER_LENGTH, n);
        }
        response.length(ResponseFlyweight.HEADER_LENGTH + n);
        return Status.OK;
    }

    private int write(final ResponseWriter response)
    {
        final int slot = resolve(Opcode.WRITE, response);
        if (slot < 0)
        {
            return -slot;
        }
        final long length = request.lengthOrSize();
        final int n = request.payloadLength();
        if (length != n)
        {
            return fail(response, Status.BAD_REQUEST, "write says " + length + " bytes but carries " + n);
        }
        if (!inRange(slot, request.regionOffset(), length, response))
        {
            return Status.OUT_OF_RANGE;
        }
        final long token = regions.token(slot);
        final DirectBuffer in = request.buffer();
        final byte[] array = in.byteArray();
        if (null != array)
        {
            allocator.putBytes(token, request.regionOffset(), array, in.wrapAdjustment() + request.payloadOffset(), n);
        }
        else if (n > 0)
        {
            Buffers.copy(in, request.payloadOffset(), allocator.segment(token, request.regionOffset(), n), 0, n);
        }
        return ok(response, request.handle(), regions.sizeBytes(slot));
    }

    private int stats(final ResponseWriter response)
    {
        if (request.payloadLength() != 0)
        {
            return noPayload(Opcode.STATS, response);
        }
        final byte[] text = statsText().getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(text.length, maxPayloadBytes);
        final MutableDirectBuffer out = response.buffer(ResponseFlyweight.HEADER_LENGTH + n);
        ResponseFlyweight.write(out, Status.OK, 0, 0);
        out.putBytes(ResponseFlyweight.HEADER_LENGTH, text, 0, n);
        response.length(ResponseFlyweight.HEADER_LENGTH + n);
        return Status.OK;
    }

    /**
     * @return this slave's statistics: memory budget, committed and used bytes, regions, named regions, and
     * per-operation counts (applied / failed). Deterministic.
     */
    public String statsText()
    {
        final SizeClassAllocator.Stats stats = allocator.stats();
        final StringBuilder sb = new StringBuilder()
            .append("slave ").append(nodeId).append('\n')
            .append("memory budget bytes: ").append(stats.budgetBytes()).append('\n')
            .append("memory committed bytes: ").append(stats.committedBytes()).append('\n')
            .append("memory used bytes: ").append(stats.allocatedBytes()).append('\n')
            .append("regions: ").append(regions.size()).append(" of at most ").append(regions.maxRegions()).append('\n')
            .append("named regions: ").append(regions.namedCount()).append('\n')
            .append("requests: ").append(requests).append('\n');
        for (int op = Opcode.ALLOC; op <= Opcode.STATS; op++)
        {
            sb.append("op ").append(Opcode.name(op)).append(": ").append(applied[op]).append(" ok, ")
                .append(failed[op]).append(" failed\n");
        }
        sb.append("malformed or unknown: ").append(failed[0]).append('\n');
        sb.append("sessions reclaimed: ").append(reclaimedSessions).append(" (").append(reclaimedRegions)
            .append(" regions, ").append(reclaimedBytes).append(" bytes)\n");
        return sb.toString();
    }

    /**
     * Frees every anonymous region a client session created: its lease expired, so nobody can reach them any
     * more (anonymous handles belong to their session; named regions are never reclaimed). Part of the one apply
     * path: the slave's lease timer calls it on the same thread as {@link #apply}, and replication will log it
     * like a request. Deterministic: slots are visited in order.
     *
     * @return regions freed.
     */
    public int reclaim(final int clientNode, final int leaseEpoch)
    {
        int count = 0;
        long bytes = 0;
        for (int slot = 0; slot < regions.highWater(); slot++)
        {
            if (regions.token(slot) != RegionTable.NO_TOKEN && !regions.isNamed(slot) &&
                regions.owner(slot) == clientNode && regions.ownerEpoch(slot) == leaseEpoch)
            {
                bytes += regions.sizeBytes(slot);
                allocator.free(regions.token(slot));
                regions.remove(slot);
                count++;
            }
        }
        reclaimedSessions++;
        reclaimedRegions += count;
        reclaimedBytes += bytes;
        lastReclaimedBytes = bytes;
        return count;
    }

    /** @return bytes freed by the last {@link #reclaim}, for its log line. */
    public long lastReclaimedBytes()
    {
        return lastReclaimedBytes;
    }

    // ---- Checks ---------------------------------------------------------------------------------------------

    /** @return the slot, or minus the status already answered. */
    private int resolve(final int opcode, final ResponseWriter response)
    {
        final long handle = request.handle();
        final int slot = regions.resolve(handle);
        if (slot >= 0)
        {
            return slot;
        }
        final String what = Opcode.name(opcode) + " of handle " + Handles.toString(handle);
        if (slot == -Status.FREED)
        {
            final int s = Handles.slot(handle);
            fail(response, Status.FREED, what + ": the region was freed (slot " + s + " is at generation "
                + regions.generation(s) + ")");
        }
        else if (!Handles.isWellFormed(handle))
        {
            fail(response, Status.BAD_HANDLE, what + ": not a handle");
        }
        else if (Handles.nodeId(handle) != nodeId)
        {
            fail(response, Status.BAD_HANDLE, what + ": the handle belongs to slave " + Handles.nodeId(handle)
                + ", this is slave " + nodeId);
        }
        else
        {
            fail(response, Status.BAD_HANDLE, what + ": slot " + Handles.slot(handle) + " was never allocated");
        }
        return slot;
    }

    private boolean inRange(final int slot, final long offset, final long length, final ResponseWriter response)
    {
        final long size = regions.sizeBytes(slot);
        if (offset < 0 || length < 0 || offset > size - length)
        {
            fail(response, Status.OUT_OF_RANGE, "offset " + offset + " + length " + length + " outside region of "
                + size + " bytes");
            return false;
        }
        return true;
    }

    /** @return the request's name, or null after answering why it is not one. */
    private String name(final ResponseWriter response)
    {
        final int n = request.payloadLength();
        if (n == 0)
        {
            fail(response, Status.BAD_REQUEST, "the name is empty");
            return null;
        }
        if (n > MAX_NAME_BYTES)
        {
            fail(response, Status.BAD_REQUEST, "a name of " + n + " bytes is longer than " + MAX_NAME_BYTES);
            return null;
        }
        final byte[] bytes = new byte[n];
        request.buffer().getBytes(request.payloadOffset(), bytes);
        try
        {
            return utf8.reset().decode(ByteBuffer.wrap(bytes)).toString();
        }
        catch (final CharacterCodingException ex)
        {
            fail(response, Status.BAD_REQUEST, "the name is not valid UTF-8");
            return null;
        }
    }

    private int noPayload(final int opcode, final ResponseWriter response)
    {
        return fail(response, Status.BAD_REQUEST, Opcode.name(opcode) + " takes no payload, got "
            + request.payloadLength() + " bytes");
    }

    private String memoryText()
    {
        final SizeClassAllocator.Stats stats = allocator.stats();
        return "out of memory (" + stats.allocatedBytes() + " of " + stats.budgetBytes()
            + " bytes of the budget in use, " + regions.size() + " regions)";
    }

    private static int ok(final ResponseWriter response, final long handle, final long size)
    {
        final MutableDirectBuffer out = response.buffer(ResponseFlyweight.HEADER_LENGTH);
        ResponseFlyweight.write(out, Status.OK, handle, size);
        response.length(ResponseFlyweight.HEADER_LENGTH);
        return Status.OK;
    }

    private int fail(final ResponseWriter response, final int status, final String reason)
    {
        final byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(text.length, maxPayloadBytes);
        final MutableDirectBuffer out = response.buffer(ResponseFlyweight.HEADER_LENGTH + n);
        ResponseFlyweight.write(out, status, 0, 0);
        out.putBytes(ResponseFlyweight.HEADER_LENGTH, text, 0, n);
        response.length(ResponseFlyweight.HEADER_LENGTH + n);
        return status;
    }

    private static int index(final int opcode)
    {
        return opcode > 0 && opcode < OPCODES ? opcode : 0;
    }
}
