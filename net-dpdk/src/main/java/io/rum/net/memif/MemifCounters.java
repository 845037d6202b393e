package io.rum.net.memif;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link MemifMedium} counts. Written by its poller only (lazySet: a reader on another thread needs to see a
 * count eventually, not at once), read by anyone.
 */
public final class MemifCounters
{
    final AtomicLong framesSent = new AtomicLong();
    final AtomicLong framesReceived = new AtomicLong();
    final AtomicLong foreignFrames = new AtomicLong();
    final AtomicLong runtFrames = new AtomicLong();
    final AtomicLong oversizeFrames = new AtomicLong();
    final AtomicLong badDescriptors = new AtomicLong();
    final AtomicLong txRingFull = new AtomicLong();
    final AtomicLong linkDown = new AtomicLong();
    final AtomicLong connects = new AtomicLong();
    final AtomicLong disconnects = new AtomicLong();
    final AtomicLong refusedPeers = new AtomicLong();
    final AtomicLong controlErrors = new AtomicLong();
    final AtomicLong peersWantingInterrupts = new AtomicLong();
    final AtomicLong macConflicts = new AtomicLong();

    static void increment(final AtomicLong counter)
    {
        counter.lazySet(counter.get() + 1);
    }

    /** @return frames handed to a ring. */
    public long framesSent()
    {
        return framesSent.get();
    }

    /** @return frames taken from a ring, whatever became of them. */
    public long framesReceived()
    {
        return framesReceived.get();
    }

    /** @return frames of another EtherType, dropped. */
    public long foreignFrames()
    {
        return foreignFrames.get();
    }

    /** @return frames shorter than their headers say, dropped. */
    public long runtFrames()
    {
        return runtFrames.get();
    }

    /** @return chained frames longer than the largest frame, dropped. */
    public long oversizeFrames()
    {
        return oversizeFrames.get();
    }

    /** @return descriptors a peer wrote that point outside its regions or exceed a buffer; their frames dropped. */
    public long badDescriptors()
    {
        return badDescriptors.get();
    }

    /** @return sends refused because the ring had no free slot. */
    public long txRingFull()
    {
        return txRingFull.get();
    }

    /** @return sends refused because no link to that peer was up. */
    public long linkDown()
    {
        return linkDown.get();
    }

    /** @return links that finished memif's handshake. */
    public long connects()
    {
        return connects.get();
    }

    /** @return links that ended (peer gone, DISCONNECT, a protocol error, or close). */
    public long disconnects()
    {
        return disconnects.get();
    }

    /** @return peers refused during the handshake (wrong secret, id in use, bad region or ring, too many). */
    public long refusedPeers()
    {
        return refusedPeers.get();
    }

    /** @return failed control-socket calls and malformed control messages. */
    public long controlErrors()
    {
        return controlErrors.get();
    }

    /**
     * @return links whose peer asked to be woken through its eventfd, which RUM never does (a DPDK or RUM peer polls
     *     and does not ask; see {@code MemifLink}).
     */
    public long peersWantingInterrupts()
    {
        return peersWantingInterrupts.get();
    }

    /** @return frames from a MAC whose peer is up on another link: one client posing as another; dropped. */
    public long macConflicts()
    {
        return macConflicts.get();
    }

    @Override
    public String toString()
    {
        return "sent=" + framesSent() + " received=" + framesReceived() + " foreign=" + foreignFrames() + " runt=" +
            runtFrames() + " oversize=" + oversizeFrames() + " badDescriptors=" + badDescriptors() + " txRingFull=" +
            txRingFull() + " linkDown=" + linkDown() + " connects=" + connects() + " disconnects=" + disconnects() +
            " refused=" + refusedPeers() + " controlErrors=" + controlErrors() + " wantInterrupts=" + peersWantingInterrupts() +
            " macConflicts=" + macConflicts();
    }
}
