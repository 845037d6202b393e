package io.rum.allocator.placement;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The placement promises of issue 4, measured over one million fixed keys with the default table size.
 * Everything here is deterministic: the same keys, the same node ids, the same numbers on every run.
 */
@Timeout(60)
class PartitionTableTest
{
    private static final int KEYS = 1_000_000;
    private static final double BOUND = 1.05;
    private static long[] keyHashes;

    @BeforeAll
    static void hashKeys()
    {
        keyHashes = new long[KEYS];
        for (int i = 0; i < KEYS; i++)
        {
            keyHashes[i] = KeyHash.hash(("key:" + i).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void tenEqualSlavesCarryNearlyEqualKeys()
    {
        final PartitionTable table = PartitionTable.build(equalMembers(1, 10));
        final long[] load = loadByNode(table);
        final double mean = (double)KEYS / 10;
        final double max = IntStream.rangeClosed(1, 10).mapToLong(id -> load[id]).max().orElseThrow();
        System.out.printf("balance: 10 equal slaves, %d partitions, 1M keys: max/mean = %.4f%n",
            table.partitionCount(), max / mean);
        assertTrue(max / mean <= BOUND, "max/mean " + max / mean);
    }

    @Test
    void aJoinMovesOnlyKeysToTheNewSlaveAndNearlyTheMinimum()
    {
        final PartitionTable before = PartitionTable.build(equalMembers(1, 10));
        final PartitionTable after = PartitionTable.build(equalMembers(1, 11));
        long moved = 0;
        for (final long hash : keyHashes)
        {
            final int from = before.primary(before.partitionOf(hash));
            final int to = after.primary(after.partitionOf(hash));
            if (from != to)
            {
                assertEquals(11, to, "a key moved between two old slaves");
                moved++;
            }
        }
        final double ratio = moved / (KEYS / 11.0);
        System.out.printf("join: 10 -> 11 slaves moved %d keys = %.4f x the minimum%n", moved, ratio);
        assertTrue(ratio <= BOUND, "moved / minimum " + ratio);
    }

    @Test
    void aLeaveMovesOnlyTheLeaversKeysAndNearlyTheMinimum()
    {
        final PartitionTable before = PartitionTable.build(equalMembers(1, 10));
        double worst = 0;
        for (int leaver = 1; leaver <= 10; leaver++)
        {
            final List<Member> rest = new ArrayList<>(equalMembers(1, 10));
            final int gone = leaver;
            rest.removeIf(m -> m.nodeId() == gone);
            final PartitionTable after = PartitionTable.build(rest);
            long moved = 0;
            for (final long hash : keyHashes)
            {
                final int from = before.primary(before.partitionOf(hash));
                if (from != after.primary(after.partitionOf(hash)))
                {
                    assertEquals(leaver, from, "a key moved off a slave that stayed");
                    moved++;
                }
            }
            worst = Math.max(worst, moved / (KEYS / 10.0));
        }
        System.out.printf("leave: 10 -> 9 slaves, worst of the 10 leavers moved %.4f x the minimum%n", worst);
        assertTrue(worst <= BOUND, "moved / minimum " + worst);
    }

    @Test
    void keySharesFollowWeightsWithinTwoPercent()
    {
        final List<Member> members = List.of(new Member(1, 1), new Member(2, 2), new Member(3, 3), new Member(4, 4));
        final long[] load = loadByNode(PartitionTable.build(members));
        double worst = 0;
        for (final Member member : members)
        {
            final double expected = member.weight() / 10.0;
            final double share = (double)load[member.nodeId()] / KEYS;
            final double error = Math.abs(share / expected - 1);
            System.out.printf("weights: node %d weight %.0f share %.4f (expected %.4f, off %.2f%%)%n",
                member.nodeId(), member.weight(), share, expected, 100 * error);
            worst = Math.max(worst, error);
        }
        assertTrue(worst <= 0.02, "worst relative error " + worst);
    }

    @Test
    void whenThePrimaryLeavesItsBackupsMoveUpInOrder()
    {
        final PartitionTable before = PartitionTable.build(equalMembers(1, 5), 4096, 3);
        final PartitionTable[] without = new PartitionTable[6];
        for (int leaver = 1; leaver <= 5; leaver++)
        {
            final List<Member> rest = new ArrayList<>(equalMembers(1, 5));
            final int gone = leaver;
            rest.removeIf(m -> m.nodeId() == gone);
            without[leaver] = PartitionTable.build(rest, 4096, 3);
        }
        for (int partition = 0; partition < before.partitionCount(); partition++)
        {
            final int[] ranks = before.replicas(partition, 3);
            assertArrayEquals(new int[] {ranks[1], ranks[2]}, without[ranks[0]].replicas(partition, 2));
        }
    }

    @Test
    void replicasArePrimaryFirstAndDistinctBeyondTheStoredRanks()
    {
        final PartitionTable table = PartitionTable.build(equalMembers(1, 7), 1024, 2);
        final int[] dst = new int[7];
        for (int partition = 0; partition < table.partitionCount(); partition++)
        {
            assertEquals(7, table.replicas(partition, 7, dst));
            assertEquals(table.primary(partition), dst[0]);
            assertEquals(7, IntStream.of(dst).distinct().count());
            assertArrayEquals(table.replicas(partition, 2), new int[] {dst[0], dst[1]});
        }
        assertThrows(IllegalArgumentException.class, () -> table.replicas(0, 8));
        assertThrows(IllegalArgumentException.class, () -> table.replicas(0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> table.primary(1024));
    }

    @Test
    void memberOrderDoesNotMatter()
    {
        final List<Member> members = new ArrayList<>(List.of(
            new Member(3, 1.5), new Member(17, 1), new Member(250, 2), new Member(65535, 0.5), new Member(9, 1)));
        final PartitionTable table = PartitionTable.build(members, 4096, 5);
        Collections.shuffle(members, new Random(42));
        final PartitionTable shuffled = PartitionTable.build(members, 4096, 5);
        for (int partition = 0; partition < 4096; partition++)
        {
            assertArrayEquals(table.replicas(partition, 5), shuffled.replicas(partition, 5));
        }
    }

    @Test
    void partitionsAreTheTopBitsOfTheHash()
    {
        final PartitionTable table = PartitionTable.build(equalMembers(1, 3), 4096, 1);
        assertEquals(0, table.partitionOf(0L));
        assertEquals(4095, table.partitionOf(-1L));
        assertEquals(2048, table.partitionOf(Long.MIN_VALUE));
        final byte[] key = "user:42".getBytes(StandardCharsets.UTF_8);
        assertEquals(table.partitionOf(KeyHash.hash(key)), table.partitionOf(key));
        assertEquals(0, PartitionTable.build(equalMembers(1, 3), 1, 1).partitionOf(-1L));
    }

    @Test
    void badMembershipsAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> PartitionTable.build(List.of()));
        assertThrows(IllegalArgumentException.class,
            () -> PartitionTable.build(List.of(new Member(1, 1), new Member(1, 2)), 16, 1));
        assertThrows(IllegalArgumentException.class, () -> PartitionTable.build(equalMembers(1, 2), 1000, 1));
        assertThrows(IllegalArgumentException.class, () -> new Member(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Member(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Member(1, Double.NaN));
        assertNotEquals(PartitionTable.build(equalMembers(1, 2), 16, 1).toString(), "");
    }

    private static long[] loadByNode(final PartitionTable table)
    {
        final long[] load = new long[65536];
        for (final long hash : keyHashes)
        {
            load[table.primary(table.partitionOf(hash))]++;
        }
        return load;
    }

    private static List<Member> equalMembers(final int firstId, final int lastId)
    {
        return IntStream.rangeClosed(firstId, lastId).mapToObj(id -> new Member(id, 1)).toList();
    }
}
