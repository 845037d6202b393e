package io.rum.heartbeat;

import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Which of a fixed set of nodes are up, suspect or down, from the heartbeats they send: one
 * {@link PhiAccrualFailureDetector} per node, states re-evaluated on {@link #evaluate(long)}, every change told
 * to the listeners. A node starts UP (it is in the configuration; the first heartbeat starts its detector) and
 * is judged only once it has been heard from, or once {@code startupGraceNs} has passed without a word.
 *
 * <p>Time is passed in. Heartbeats arrive on the transport's poller and evaluation runs on the heartbeat
 * agent's thread, a few hundred calls a second: the mutators are synchronized. {@link #state(int)} and
 * {@link #snapshot()} may be read from any thread.
 */
public final class MembershipView
{
    private final HeartbeatConfig config;
    private final Int2ObjectHashMap<PhiAccrualFailureDetector> detectors = new Int2ObjectHashMap<>();
    private final ConcurrentHashMap<Integer, NodeState> states = new ConcurrentHashMap<>();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final long startNs;
    private final long startupGraceNs;

    /**
     * @param nodes          the nodes to watch (not this one).
     * @param startupGraceNs how long a node that never sent a heartbeat is still believed UP.
     */
    public MembershipView(final HeartbeatConfig config, final int[] nodes, final long nowNs, final long startupGraceNs)
    {
        this.config = config;
        this.startNs = nowNs;
        this.startupGraceNs = startupGraceNs;
        for (final int node : nodes)
        {
            detectors.put(node, config.newDetector());
            states.put(node, NodeState.UP);
        }
    }

    public void addListener(final MembershipListener listener)
    {
        listeners.add(listener);
    }

    /**
     * A heartbeat (or any message proving life) from a node arrived. Unknown nodes are ignored.
     */
    public synchronized void heartbeat(final int nodeId, final long nowNs)
    {
        final PhiAccrualFailureDetector detector = detectors.get(nodeId);
        if (null != detector)
        {
            detector.heartbeat(nowNs);
            transition(nodeId, NodeState.UP, nowNs);
        }
    }

    /**
     * Re-judges every node now.
     */
    public synchronized void evaluate(final long nowNs)
    {
        for (final Int2ObjectHashMap<PhiAccrualFailureDetector>.EntryIterator it = detectors.entrySet().iterator();
            it.hasNext();)
        {
            it.next();
            final int node = it.getIntKey();
            final PhiAccrualFailureDetector detector = it.getValue();
            final double phi;
            if (detector.isStarted())
            {
                phi = detector.phi(nowNs);
            }
            else
            {
                phi = nowNs - startNs > startupGraceNs ? Double.MAX_VALUE : 0.0;
            }
            final NodeState current = states.get(node);
            if (phi >= config.downPhi())
            {
                transition(node, NodeState.DOWN, nowNs);
            }
            else if (phi >= config.suspectPhi() && current == NodeState.UP)
            {
                transition(node, NodeState.SUSPECT, nowNs);
            }
        }
    }

    /**
     * @return the suspicion level of a node now (0 for unknown nodes).
     */
    public synchronized double phi(final int nodeId, final long nowNs)
    {
        final PhiAccrualFailureDetector detector = detectors.get(nodeId);
        return null == detector ? 0.0 : detector.phi(nowNs);
    }

    private void transition(final int node, final NodeState to, final long nowNs)
    {
        final NodeState from = states.put(node, to);
        if (from != to)
        {
            for (final MembershipListener listener : listeners)
            {
                listener.onChange(node, from, to, nowNs);
            }
        }
    }

    public NodeState state(final int nodeId)
    {
        return states.get(nodeId);
    }

    /**
     * @return the nodes currently in a state.
     */
    public List<Integer> nodesIn(final NodeState state)
    {
        final List<Integer> nodes = new ArrayList<>();
        states.forEach((node, s) ->
        {
            if (s == state)
            {
                nodes.add(node);
            }
        });
        nodes.sort(null);
        return nodes;
    }

    public java.util.Map<Integer, NodeState> snapshot()
    {
        return java.util.Map.copyOf(states);
    }
}
