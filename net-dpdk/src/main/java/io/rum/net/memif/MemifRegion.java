package io.rum.net.memif;

import io.rum.net.os.Posix;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.MemorySegment;

/**
 * A memif shared-memory region mapped into this process: one a client creates ({@link #create}, a sealed memfd) or
 * one a server was handed ({@link #map}). Unmapped and its descriptor closed by {@link #close()}, which only the
 * medium's poller calls (or {@code close()} after polling stopped), so no thread reads a ring after its memory is gone.
 *
 * <p>Why a region handed over must be sealed against shrinking: a mapping whose file is cut short raises SIGBUS on the
 * next access, which kills the JVM. DPDK's and our clients seal their memfd ({@code F_SEAL_SHRINK}); a server refuses
 * a region without that seal or smaller than announced, so no peer can crash it that way.
 */
@SuppressWarnings("restricted") // reinterpret: the size is what mmap mapped
final class MemifRegion implements AutoCloseable
{
    private final int fd;
    private final long address;
    private final int size;
    private final UnsafeBuffer memory;
    private boolean closed;

    private MemifRegion(final int fd, final long address, final int size)
    {
        this.fd = fd;
        this.address = address;
        this.size = size;
        // Over a direct ByteBuffer, not a bare address: receivers hand received frames to code (the CRC32C check)
        // that reads them through the buffer's ByteBuffer.
        this.memory = new UnsafeBuffer(MemorySegment.ofAddress(address).reinterpret(size).asByteBuffer());
    }

    /**
     * @return a new zeroed region of {@code size} bytes, sealed against shrinking.
     * @throws IllegalStateException naming the call that failed.
     */
    static MemifRegion create(final String name, final int size)
    {
        final int fd = Posix.memfdCreate(name, Posix.MFD_ALLOW_SEALING | Posix.MFD_CLOEXEC);
        if (fd < 0)
        {
            throw failed("memfd_create", fd);
        }
        final int truncated = Posix.ftruncate(fd, size);
        final int sealed = truncated < 0 ? truncated : Posix.fcntl(fd, Posix.F_ADD_SEALS, Posix.F_SEAL_SHRINK);
        if (sealed < 0)
        {
            Posix.close(fd);
            throw failed(truncated < 0 ? "ftruncate" : "fcntl(F_ADD_SEALS)", sealed);
        }
        final long address = Posix.mmapShared(fd, size);
        if (address < 0)
        {
            Posix.close(fd);
            throw failed("mmap", (int)address);
        }
        return new MemifRegion(fd, address, size);
    }

    /**
     * Maps a region a client handed over.
     *
     * @param fd   the region's descriptor, now owned by the region (closed on failure too).
     * @param size the size the client announced.
     * @return the region, or null with the reason in {@code why[0]}.
     */
    static MemifRegion map(final int fd, final long size, final String[] why)
    {
        if (size <= 0 || size > Integer.MAX_VALUE)
        {
            why[0] = "region size " + size + " out of range";
        }
        else if (!sealedAgainstShrinking(fd))
        {
            why[0] = "region is not sealed against shrinking (F_SEAL_SHRINK)";
        }
        else if (Posix.fileSize(fd) < size)
        {
            why[0] = "region file is smaller than its announced size " + size;
        }
        else
        {
            final long address = Posix.mmapShared(fd, size);
            if (address >= 0)
            {
                return new MemifRegion(fd, address, (int)size);
            }
            why[0] = "mmap failed: " + Posix.describe((int)-address);
        }
        Posix.close(fd);
        return null;
    }

    private static boolean sealedAgainstShrinking(final int fd)
    {
        final int seals = Posix.fcntl(fd, Posix.F_GET_SEALS, 0);
        return seals >= 0 && (seals & Posix.F_SEAL_SHRINK) != 0;
    }

    private static IllegalStateException failed(final String call, final int rc)
    {
        return new IllegalStateException("memif region: " + call + " failed: " + Posix.describe(-rc));
    }

    int fd()
    {
        return fd;
    }

    int size()
    {
        return size;
    }

    UnsafeBuffer memory()
    {
        return memory;
    }

    /** @return whether {@code [offset, offset + length)} lies inside the region. */
    boolean contains(final long offset, final long length)
    {
        return offset >= 0 && length >= 0 && offset + length <= size;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Posix.munmap(address, size);
            Posix.close(fd);
        }
    }
}
