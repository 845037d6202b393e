package io.rum.heartbeat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MembershipViewTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void nodeGoesSuspectThenDownThenUpAgainWithEveryChangeReported()
    {
        final MembershipView view = new MembershipView(HeartbeatConfig.defaults(), new int[]{2, 3}, 0, 2_000 * MS);
        final List<String> events = new ArrayList<>();
        view.addListener((node, from, to, now) -> events.add(node + ":" + from + "->" + to));
        long now = 0;
        for (int i = 0; i < 20; i++)
        {
            view.heartbeat(2, now);
            view.heartbeat(3, now);
            view.evaluate(now);
            now += 100 * MS;
        }
        assertEquals(List.of(), events);
        for (int i = 0; i < 300; i++)
        {
            view.heartbeat(3, now);
            view.evaluate(now);
            now += 10 * MS;
        }
        assertEquals(List.of("2:UP->SUSPECT", "2:SUSPECT->DOWN"), events);
        assertEquals(NodeState.DOWN, view.state(2));
        assertEquals(NodeState.UP, view.state(3));
        assertEquals(List.of(2), view.nodesIn(NodeState.DOWN));
        view.heartbeat(2, now);
        assertEquals(NodeState.UP, view.state(2));
        assertEquals("2:DOWN->UP", events.getLast());
    }

    @Test
    void aNodeNeverHeardFromIsDownOnlyAfterTheStartupGrace()
    {
        final MembershipView view = new MembershipView(HeartbeatConfig.defaults(), new int[]{7}, 0, 2_000 * MS);
        view.evaluate(1_999 * MS);
        assertEquals(NodeState.UP, view.state(7));
        view.evaluate(2_001 * MS);
        assertEquals(NodeState.DOWN, view.state(7));
    }

    @Test
    void unknownNodesAreIgnored()
    {
        final MembershipView view = new MembershipView(HeartbeatConfig.defaults(), new int[]{7}, 0, 2_000 * MS);
        view.heartbeat(99, 0);
        assertEquals(null, view.state(99));
        assertEquals(0.0, view.phi(99, 0));
    }
}
