package io.rum.allocator;

import io.rum.allocator.placement.Handles;
import io.rum.allocator.placement.KeyHash;
import io.rum.allocator.placement.Member;
import io.rum.allocator.placement.PartitionTable;
import io.rum.allocator.protocol.Opcode;
import io.rum.allocator.protocol.RequestFlyweight;
import io.rum.heartbeat.LeaseConfig;
import io.rum.allocator.protocol.ResponseFlyweight;
import io.rum.allocator.protocol.Status;
import io.rum.net.Transports;
import io.rum.net.config.Machines;
import io.rum.net.config.MachinesCsv;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.Transport;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A client of RUM's remote memory: allocates regions on slaves and hands them out as {@link RumSegment}s.
 *
 * <h2>Placement</h2>
 * Anonymous allocations are placed by hashing a fresh 64-bit id (this client's id and a counter, mixed)
 * through the {@link PartitionTable}, so they spread over the slaves in proportion to their weights, never by a
 * random choice. Named allocations are placed by the hash of their name, so every client finds a name on the
 * same slave. {@link #alloc(long, int)} places explicitly; the slave's id is in the handle either way.
 *
 * <h2>Lifetime</h2>
 * Anonymous regions belong to this client: {@link #close()} frees them, since nobody else can reach them.
 * Named regions are permanent: {@code close()} writes their dirty pages back and leaves them on the slave,
 * where any client re-attaches them with {@link #allocNamed} (same size) or {@link #attachNamed}. Either kind is
 * freed by {@link #free}.
 *
 * <h2>Threads</h2>
 * Thread-safe by one lock: every method of a {@code Rum} and of its segments takes the same
 * {@link ReentrantLock}, so operations run one at a time, each seeing the effects of the ones before. That
 * includes the remote calls a page fault or an eviction makes. One {@code Rum} per thread is the way to use
 * several cores.
 *
 * <h2>Errors</h2>
 * A failed remote operation throws {@link RumException}, with the slave's status and reason or the call's
 * transport status; the local state is left as it was. Argument mistakes throw the usual unchecked exceptions.
 */
public final class Rum implements AutoCloseable
{
    /** Client node ids start here: machines.csv ids are at most 65535, frames carry 32 bits. */
    public static final int MIN_CLIENT_NODE_ID = 65536;
    /** The longest name of a named allocation, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 1024;

    final ReentrantLock lock = new ReentrantLock();
    private final Transport transport;
    private final List<Member> slaves;
    private final PartitionTable table;
    private final RumOptions options;
    private final PageCache cache;
    private final Long2ObjectHashMap<RumSegment> segments = new Long2ObjectHashMap<>();
    private final RequestFlyweight requestFlyweight = new RequestFlyweight();
    private final ResponseFlyweight responseFlyweight = new ResponseFlyweight();
    private final ArrayDeque<InFlightWrite> inFlight = new ArrayDeque<>();
    private final int[] faultFrames;
    private final long idSeed;
    /** Names this client's session on every slave: each request renews its lease (see LeaseTable). */
    private final int leaseEpoch;
    private final LeaseConfig leaseConfig = LeaseConfig.defaults();
    private final Thread leaseKeeper;
    private volatile String fenced;
    private long allocationCounter;
    private volatile boolean closed;

    private Rum(final Transport transport, final List<Member> slaves, final RumOptions options)
    {
        if (slaves.isEmpty())
        {
            throw new IllegalArgumentException("no slaves to allocate on");
        }
        this.transport = transport;
        this.slaves = List.copyOf(slaves);
        this.options = options;
        this.table = PartitionTable.build(this.slaves, options.partitionCount(), 1);
        this.cache = new PageCache(options.pageSizeBytes(), options.frameCount());
        this.faultFrames = new int[options.maxRunPages() + 1];
        this.idSeed = KeyHash.mix64(((long)transport.nodeId() << 32) ^ transport.epoch());
        this.leaseEpoch = (int)KeyHash.mix64(idSeed ^ 0x1ea5e) | 1;
        this.leaseKeeper = Thread.ofPlatform().name("rum-lease-" + transport.nodeId()).daemon().unstarted(this::keepLeases);
        leaseKeeper.start();
    }

    /**
     * Renews this session's lease on every slave every {@link LeaseConfig#renewNs()}, so an idle client keeps its
     * anonymous allocations; any request renews too. At most one renewal per slave is in flight. A FENCED answer
     * marks this client fenced: every later operation fails, and the application must open a new {@code Rum}.
     */
    private void keepLeases()
    {
        final PendingCall[] renewals = new PendingCall[slaves.size()];
        final RequestFlyweight request = new RequestFlyweight();
        final ResponseFlyweight response = new ResponseFlyweight();
        while (!closed)
        {
            for (int i = 0; i < renewals.length; i++)
            {
                final PendingCall previous = renewals[i];
                if (null != previous)
                {
                    if (!previous.isDone())
                    {
                        continue;
                    }
                    if (previous.status() == RpcStatus.OK)
                    {
                        response.wrap(previous.response(), 0, previous.responseLength());
                        if (response.isComplete() && response.status() == Status.FENCED)
                        {
                            fenced = response.payloadText();
                        }
                    }
                    previous.release();
                    renewals[i] = null;
                }
                final PendingCall call = transport.rpcClient(slaves.get(i).nodeId()).begin(0);
                if (null != call)
                {
                    request.wrap(call.request(RequestFlyweight.HEADER_LENGTH), 0, RequestFlyweight.HEADER_LENGTH)
                        .write(Opcode.LEASE_RENEW, 0, 0, 0).leaseEpoch(leaseEpoch);
                    call.send(RequestFlyweight.HEADER_LENGTH, leaseConfig.leaseNs());
                    renewals[i] = call;
                }
            }
            LockSupport.parkNanos(this, leaseConfig.renewNs());
        }
        for (final PendingCall call : renewals)
        {
            if (null != call)
            {
                call.await();
                call.release();
            }
        }
    }

    /** @return the lease epoch naming this client's session on the slaves. */
    public int leaseEpoch()
    {
        return leaseEpoch;
    }

    /** @return whether a slave fenced this client (its lease expired); a fenced client must be replaced. */
    public boolean isFenced()
    {
        return null != fenced;
    }

    /**
     * Connects over kernel UDP to the slaves of a machines.csv, with the default options.
     */
    public static Rum init(final Path machinesCsv)
    {
        return init(machinesCsv, RumOptions.defaults());
    }

    /**
     * Connects over kernel UDP to the slave rows of a machines.csv. This client takes a random node id of
     * {@link #MIN_CLIENT_NODE_ID} or more and an ephemeral UDP port; slaves answer the address it calls from.
     *
     * @throws io.rum.net.config.ConfigException if the file is malformed (the message has file:line).
     */
    public static Rum init(final Path machinesCsv, final RumOptions options)
    {
        final Machines machines = MachinesCsv.parse(machinesCsv);
        final List<Member> slaves = machines.slaves().stream().map(Member::of).toList();
        if (slaves.isEmpty())
        {
            throw new IllegalArgumentException(machinesCsv + " names no slave");
        }
        final int nodeId = MIN_CLIENT_NODE_ID + new SecureRandom().nextInt(Integer.MAX_VALUE - MIN_CLIENT_NODE_ID);
        final Transport transport = Transports.udp(machines, TransportConfig.defaults(nodeId));
        try
        {
            return connect(transport, slaves, options);
        }
        catch (final RuntimeException ex)
        {
            transport.close();
            throw ex;
        }
    }

    /**
     * The general factory: a client over a started transport (any medium), owned and closed by the client.
     *
     * @param transport this client's transport; its node id must differ from every slave's.
     * @param slaves    the slaves to place on, with their weights.
     * @param options   settings.
     */
    public static Rum connect(final Transport transport, final List<Member> slaves, final RumOptions options)
    {
        Objects.requireNonNull(transport, "transport");
        for (final Member slave : slaves)
        {
            if (slave.nodeId() == transport.nodeId())
            {
                throw new IllegalArgumentException("the client's node id " + transport.nodeId() + " is a slave's");
            }
        }
        return new Rum(transport, slaves, options);
    }

    /** @return this client's node id. */
    public int nodeId()
    {
        return transport.nodeId();
    }

    /** @return the slaves this client places on. */
    public List<Member> slaves()
    {
        return slaves;
    }

    public RumOptions options()
    {
        return options;
    }

    /**
     * Allocates {@code size} bytes on the slave a fresh id hashes to. Contents start zeroed (the slave zeroes
     * every new region so no client sees another's freed bytes).
     */
    public RumSegment alloc(final long size)
    {
        lock.lock();
        try
        {
            checkOpen();
            final long id = KeyHash.mix64(idSeed + allocationCounter++ * 0x9E3779B97F4A7C15L);
            return allocate(Opcode.ALLOC, size, table.primary(table.partitionOf(id)));
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Allocates {@code size} bytes on a chosen slave. */
    public RumSegment alloc(final long size, final int slaveId)
    {
        lock.lock();
        try
        {
            checkOpen();
            requireSlave(slaveId);
            return allocate(Opcode.ALLOC, size, slaveId);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Allocates {@code count * size} zeroed bytes.
     *
     * @throws IllegalArgumentException if the product overflows or is below 1.
     */
    public RumSegment calloc(final long count, final long size)
    {
        final long total;
        try
        {
            total = Math.multiplyExact(count, size);
        }
        catch (final ArithmeticException ex)
        {
            throw new IllegalArgumentException("calloc(" + count + ", " + size + "): the size overflows", ex);
        }
        lock.lock();
        try
        {
            checkOpen();
            final long id = KeyHash.mix64(idSeed + allocationCounter++ * 0x9E3779B97F4A7C15L);
            return allocate(Opcode.CALLOC, total, table.primary(table.partitionOf(id)));
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Allocates a named, permanent region on the slave its name hashes to, or attaches to the existing region
     * of that name if it has the same size (fails with {@code NAME_SIZE_MISMATCH} otherwise). A name attached
     * twice by one client is the same {@link RumSegment}.
     */
    public RumSegment allocNamed(final String name, final long size)
    {
        final byte[] nameBytes = nameBytes(name);
        requireSize(size);
        lock.lock();
        try
        {
            checkOpen();
            return named(Opcode.ALLOC_NAMED, name, nameBytes, size);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Attaches to an existing named region, whatever its size.
     *
     * @throws RumException with {@link Status#NO_SUCH_NAME} if there is none.
     */
    public RumSegment attachNamed(final String name)
    {
        final byte[] nameBytes = nameBytes(name);
        lock.lock();
        try
        {
            checkOpen();
            return named(Opcode.LOOKUP_NAMED, name, nameBytes, 0);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Resizes a region; its handle and segment stay the same (the slave may move the bytes). Contents are kept
     * up to the smaller size; growth reads as zeros. On failure (e.g. out of memory) the region is unchanged.
     *
     * @return {@code segment}.
     */
    public RumSegment realloc(final RumSegment segment, final long newSize)
    {
        requireSize(newSize);
        lock.lock();
        try
        {
            checkLive(segment);
            final PendingCall call;
            try
            {
                call = exchange(segment.slaveId(), Opcode.REALLOC, segment.handle(), 0, newSize, null, 0);
            }
            catch (final RumException ex)
            {
                throw forgetIfGone(ex, segment);
            }
            try
            {
                final long size = responseFlyweight.regionSize();
                if (size != newSize)
                {
                    throw malformed(segment.slaveId(), Opcode.REALLOC, "size " + size + " instead of " + newSize);
                }
            }
            finally
            {
                call.release();
            }
            segment.resize(newSize);
            return segment;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Frees a region, anonymous or named; its local pages are dropped, dirty or not. */
    public void free(final RumSegment segment)
    {
        lock.lock();
        try
        {
            checkLive(segment);
            try
            {
                exchange(segment.slaveId(), Opcode.FREE, segment.handle(), 0, 0, null, 0).release();
            }
            catch (final RumException ex)
            {
                throw forgetIfGone(ex, segment);
            }
            segment.dropPages(0);
            segment.freed = true;
            segments.remove(segment.handle());
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Writes every dirty page of every segment back to its slave; contiguous dirty pages go in one WRITE. */
    public void flush()
    {
        lock.lock();
        try
        {
            checkOpen();
            writeBack(new ArrayList<>(segments.values()));
        }
        finally
        {
            lock.unlock();
        }
    }

    void flush(final RumSegment segment)
    {
        lock.lock();
        try
        {
            checkLive(segment);
            writeBack(List.of(segment));
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return a slave's statistics, as text. */
    public String stats(final int slaveId)
    {
        lock.lock();
        try
        {
            checkOpen();
            requireSlave(slaveId);
            final PendingCall call = exchange(slaveId, Opcode.STATS, 0, 0, 0, null, 0);
            try
            {
                return responseFlyweight.payloadText();
            }
            finally
            {
                call.release();
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return pages held locally now, for tests and statistics. */
    public int localPages()
    {
        lock.lock();
        try
        {
            return cache.framesInUse();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Writes back the dirty pages of named segments, frees this client's anonymous segments, and closes the
     * transport. Closing twice does nothing. If a remote call fails, the rest is still done and the first
     * failure is thrown.
     */
    @Override
    public void close()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            RuntimeException failure = null;
            final List<RumSegment> all = new ArrayList<>(segments.values());
            try
            {
                writeBack(all.stream().filter(RumSegment::isNamed).toList());
            }
            catch (final RuntimeException ex)
            {
                failure = ex;
            }
            for (final RumSegment segment : all)
            {
                if (!segment.isNamed())
                {
                    try
                    {
                        exchange(segment.slaveId(), Opcode.FREE, segment.handle(), 0, 0, null, 0).release();
                    }
                    catch (final RuntimeException ex)
                    {
                        failure = null == failure ? ex : failure;
                    }
                }
                segment.dropPages(0);
                segment.freed = true;
            }
            segments.clear();
            closed = true;
            LockSupport.unpark(leaseKeeper);
            try
            {
                leaseKeeper.join(leaseConfig.leaseNs() / 1_000_000 + 1_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            transport.close();
            cache.close();
            if (null != failure)
            {
                throw failure;
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public String toString()
    {
        return "Rum[node=" + transport.nodeId() + ", slaves=" + slaves.stream().map(Member::nodeId).toList() + "]";
    }

    // ---- Paging, under the lock ---------------------------------------------------------------------------

    /**
     * Brings an absent page in and returns its frame. When the fault continues a sequential run (the page
     * after the last one fetched), the following absent pages come in the same READ. A {@code wholePage}
     * write needs no fetch.
     */
    int fault(final RumSegment segment, final int page, final boolean wholePage)
    {
        int count = 1;
        if (!wholePage && options.prefetchPages() > 0 && page == segment.lastFaultPage + 1)
        {
            final int max = Math.min(Math.min(1 + options.prefetchPages(), options.maxRunPages()),
                Math.max(1, cache.frameCount / 4));
            while (count < max && page + count < segment.pageCount() && segment.state[page + count] == RumSegment.ABSENT)
            {
                count++;
            }
        }
        int taken = 0;
        try
        {
            for (; taken < count; taken++)
            {
                final int f = takeFrame();
                cache.pinned[f] = true;
                faultFrames[taken] = f;
            }
            if (!wholePage)
            {
                fetch(segment, page, count);
            }
        }
        catch (final RuntimeException ex)
        {
            for (int i = 0; i < taken; i++)
            {
                cache.release(faultFrames[i]);
            }
            throw ex;
        }
        segment.lastFaultPage = page + count - 1;
        for (int i = 0; i < count; i++)
        {
            final int f = faultFrames[i];
            cache.pinned[f] = false;
            cache.owner[f] = segment;
            cache.ownerPage[f] = page + i;
            cache.referenced[f] = i == 0;
            segment.frame[page + i] = f;
            segment.setState(page + i, RumSegment.CLEAN);
        }
        return faultFrames[0];
    }

    private void fetch(final RumSegment segment, final int page, final int count)
    {
        final long offset = (long)page * cache.pageSizeBytes;
        final long length = Math.min((long)count * cache.pageSizeBytes, segment.sizeBytes - offset);
        final PendingCall call;
        try
        {
            call = exchange(segment.slaveId(), Opcode.READ, segment.handle(), offset, length, null, 0);
        }
        catch (final RumException ex)
        {
            throw forgetIfGone(ex, segment);
        }
        try
        {
            if (responseFlyweight.payloadLength() != length)
            {
                throw malformed(segment.slaveId(), Opcode.READ,
                    responseFlyweight.payloadLength() + " bytes instead of " + length);
            }
            int at = responseFlyweight.payloadOffset();
            for (int i = 0; i < count; i++)
            {
                final int bytes = segment.pageBytes(page + i);
                Buffers.copy(call.response(), at, cache.frames, cache.address(faultFrames[i]), bytes);
                at += bytes;
            }
        }
        finally
        {
            call.release();
        }
    }

    /** A free frame, or the clock's victim after writing it back if dirty. */
    private int takeFrame()
    {
        final int free = cache.pollFree();
        if (free >= 0)
        {
            return free;
        }
        final int victim = cache.nextVictim();
        if (victim < 0)
        {
            throw new IllegalStateException("every page frame is pinned");
        }
        final RumSegment owner = cache.owner[victim];
        final int page = cache.ownerPage[victim];
        if (owner.state[page] == RumSegment.DIRTY)
        {
            // Write back the dirty run starting here: the pages after it are likely dirty too (sequential).
            int end = page + 1;
            while (end < owner.pageCount() && end - page < options.maxRunPages() && owner.state[end] == RumSegment.DIRTY)
            {
                end++;
            }
            submitWrite(owner, page, end);
            drainWrites();
        }
        owner.frame[page] = -1;
        owner.setState(page, RumSegment.ABSENT);
        cache.owner[victim] = null;
        cache.ownerPage[victim] = -1;
        cache.referenced[victim] = false;
        return victim;
    }

    private void writeBack(final List<RumSegment> list)
    {
        try
        {
            for (final RumSegment segment : list)
            {
                int p = 0;
                while (segment.dirtyPages > 0 && p < segment.pageCount())
                {
                    if (segment.state[p] != RumSegment.DIRTY)
                    {
                        p++;
                        continue;
                    }
                    int end = p + 1;
                    while (end < segment.pageCount() && end - p < options.maxRunPages()
                        && segment.state[end] == RumSegment.DIRTY)
                    {
                        end++;
                    }
                    if (inFlight.size() >= options.maxCallsInFlight())
                    {
                        completeOldest();
                    }
                    submitWrite(segment, p, end);
                    p = end;
                }
            }
            drainWrites();
        }
        catch (final RuntimeException ex)
        {
            abandonWrites();
            throw ex;
        }
    }

    private void submitWrite(final RumSegment segment, final int from, final int to)
    {
        final long offset = (long)from * cache.pageSizeBytes;
        final int length = (int)(Math.min((long)to * cache.pageSizeBytes, segment.sizeBytes) - offset);
        final PendingCall call = begin(segment.slaveId(), Opcode.WRITE);
        final MutableDirectBuffer buffer = call.request(RequestFlyweight.HEADER_LENGTH + length);
        requestFlyweight.wrap(buffer, 0, RequestFlyweight.HEADER_LENGTH + length)
            .write(Opcode.WRITE, segment.handle(), offset, length).leaseEpoch(leaseEpoch);
        int at = RequestFlyweight.HEADER_LENGTH;
        for (int p = from; p < to; p++)
        {
            final int bytes = segment.pageBytes(p);
            Buffers.copy(cache.frames, cache.address(segment.frame[p]), buffer, at, bytes);
            at += bytes;
        }
        call.send(RequestFlyweight.HEADER_LENGTH + length, options.callTimeoutNs());
        inFlight.addLast(new InFlightWrite(call, segment, from, to));
    }

    private void drainWrites()
    {
        while (!inFlight.isEmpty())
        {
            completeOldest();
        }
    }

    private void completeOldest()
    {
        final InFlightWrite write = inFlight.pollFirst();
        final PendingCall call = write.call();
        try
        {
            try
            {
                checkAnswer(write.segment().slaveId(), Opcode.WRITE, call);
            }
            catch (final RumException ex)
            {
                throw forgetIfGone(ex, write.segment());
            }
            for (int p = write.from(); p < write.to(); p++)
            {
                if (write.segment().state[p] == RumSegment.DIRTY)
                {
                    write.segment().setState(p, RumSegment.CLEAN);
                }
            }
        }
        finally
        {
            call.release();
        }
    }

    private void abandonWrites()
    {
        InFlightWrite write;
        while (null != (write = inFlight.pollFirst()))
        {
            write.call().await();
            write.call().release();
        }
    }

    /**
     * A region another client freed (or a slave that restarted and lost it) is gone for good: its local pages
     * have nowhere to go, so the segment is dropped and reads as freed from now on.
     */
    private RumException forgetIfGone(final RumException ex, final RumSegment segment)
    {
        if (ex.slaveStatus() == Status.FREED || ex.slaveStatus() == Status.BAD_HANDLE)
        {
            segment.dropPages(0);
            segment.freed = true;
            segments.remove(segment.handle());
        }
        return ex;
    }

    private record InFlightWrite(PendingCall call, RumSegment segment, int from, int to)
    {
    }

    // ---- Calls --------------------------------------------------------------------------------------------

    private RumSegment allocate(final int opcode, final long size, final int slaveId)
    {
        requireSize(size);
        final PendingCall call = exchange(slaveId, opcode, 0, 0, size, null, 0);
        final long handle;
        try
        {
            handle = responseFlyweight.handle();
            if (!Handles.isWellFormed(handle) || Handles.nodeId(handle) != slaveId
                || responseFlyweight.regionSize() != size)
            {
                throw malformed(slaveId, opcode, "handle " + Handles.toString(handle) + " of "
                    + responseFlyweight.regionSize() + " bytes");
            }
        }
        finally
        {
            call.release();
        }
        final RumSegment segment = new RumSegment(this, cache, handle, slaveId, null, size);
        segments.put(handle, segment);
        return segment;
    }

    private RumSegment named(final int opcode, final String name, final byte[] nameBytes, final long size)
    {
        final int slaveId = table.primary(table.partitionOf(KeyHash.hash(nameBytes)));
        final PendingCall call = exchange(slaveId, opcode, 0, 0, size, nameBytes, nameBytes.length);
        final long handle;
        final long regionSize;
        try
        {
            handle = responseFlyweight.handle();
            regionSize = responseFlyweight.regionSize();
            if (!Handles.isWellFormed(handle) || Handles.nodeId(handle) != slaveId || regionSize < 1)
            {
                throw malformed(slaveId, opcode, "handle " + Handles.toString(handle) + " of " + regionSize + " bytes");
            }
        }
        finally
        {
            call.release();
        }
        final RumSegment existing = segments.get(handle);
        if (null != existing)
        {
            return existing;
        }
        final RumSegment segment = new RumSegment(this, cache, handle, slaveId, name, regionSize);
        segments.put(handle, segment);
        return segment;
    }

    private PendingCall begin(final int slaveId, final int opcode)
    {
        final PendingCall call = transport.rpcClient(slaveId).begin(options.callTimeoutNs());
        if (null == call)
        {
            throw RumException.call(slaveId, Opcode.name(opcode), RpcStatus.BUSY);
        }
        return call;
    }

    /**
     * Sends one request and waits for a successful answer, which {@link #responseFlyweight} then wraps.
     *
     * @return the completed call, to be released by the caller after reading the response.
     * @throws RumException if the call failed or the slave answered with a failure; the call is released.
     */
    private PendingCall exchange(final int slaveId, final int opcode, final long handle, final long offset,
        final long lengthOrSize, final byte[] payload, final int payloadLength)
    {
        final PendingCall call = begin(slaveId, opcode);
        try
        {
            final int length = RequestFlyweight.HEADER_LENGTH + payloadLength;
            final MutableDirectBuffer buffer = call.request(length);
            requestFlyweight.wrap(buffer, 0, length).write(opcode, handle, offset, lengthOrSize).leaseEpoch(leaseEpoch);
            if (payloadLength > 0)
            {
                buffer.putBytes(RequestFlyweight.HEADER_LENGTH, payload, 0, payloadLength);
            }
            call.send(length, options.callTimeoutNs());
            checkAnswer(slaveId, opcode, call);
            return call;
        }
        catch (final RuntimeException ex)
        {
            call.release();
            throw ex;
        }
    }

    /** Waits for a call and checks it succeeded; leaves {@link #responseFlyweight} on the response. */
    private void checkAnswer(final int slaveId, final int opcode, final PendingCall call)
    {
        final int rpcStatus = call.await();
        if (rpcStatus != RpcStatus.OK)
        {
            throw RumException.call(slaveId, Opcode.name(opcode), rpcStatus);
        }
        responseFlyweight.wrap(call.response(), 0, call.responseLength());
        if (!responseFlyweight.isComplete())
        {
            throw malformed(slaveId, opcode, call.responseLength() + "-byte response");
        }
        final int status = responseFlyweight.status();
        if (status == Status.FENCED)
        {
            fenced = responseFlyweight.payloadText();
        }
        if (status != Status.OK)
        {
            throw RumException.slave(slaveId, Opcode.name(opcode), status, responseFlyweight.payloadText());
        }
    }

    private static RumException malformed(final int slaveId, final int opcode, final String what)
    {
        return new RumException(slaveId, RumException.NO_ANSWER, RpcStatus.OK,
            "slave " + slaveId + ": " + Opcode.name(opcode) + ": malformed answer: " + what);
    }

    // ---- Checks -------------------------------------------------------------------------------------------

    void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("this Rum is closed");
        }
        final String reason = fenced;
        if (null != reason)
        {
            throw new RumException(-1, Status.FENCED, RpcStatus.OK, "this client was fenced: " + reason);
        }
    }

    private void checkLive(final RumSegment segment)
    {
        checkOpen();
        Objects.requireNonNull(segment, "segment");
        if (segment.freed)
        {
            throw new IllegalStateException(segment + " was freed");
        }
        if (segments.get(segment.handle()) != segment)
        {
            throw new IllegalArgumentException(segment + " belongs to another Rum");
        }
    }

    private void requireSlave(final int slaveId)
    {
        for (final Member slave : slaves)
        {
            if (slave.nodeId() == slaveId)
            {
                return;
            }
        }
        throw new IllegalArgumentException("node " + slaveId + " is not a slave of this cluster: "
            + slaves.stream().map(Member::nodeId).toList());
    }

    private static void requireSize(final long size)
    {
        if (size < 1)
        {
            throw new IllegalArgumentException("size " + size + " must be at least 1 byte");
        }
    }

    private static byte[] nameBytes(final String name)
    {
        Objects.requireNonNull(name, "name");
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > MAX_NAME_BYTES)
        {
            throw new IllegalArgumentException("a name must have 1.." + MAX_NAME_BYTES + " UTF-8 bytes: " + bytes.length);
        }
        return bytes;
    }
}
