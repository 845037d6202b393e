package io.rum.net.config;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * The nodes of a cluster, in the order they were given, with each id, UDP address and MAC used
 * once.
 *
 * <p>Immutable. {@link MachinesCsv} builds one from a file and reports broken rules with their
 * line; {@link #of(List)} checks the same rules for nodes built in code (tests, tools) and
 * throws {@link IllegalArgumentException}.
 */
public final class Machines
{
    private final List<NodeSpec> nodes;
    private final List<NodeSpec> slaves;
    private final List<NodeSpec> clients;
    private final Map<Integer, NodeSpec> byId;

    private Machines(final List<NodeSpec> nodes)
    {
        this.nodes = List.copyOf(nodes);
        this.slaves = this.nodes.stream().filter(NodeSpec::isSlave).toList();
        this.clients = this.nodes.stream().filter(node -> !node.isSlave()).toList();
        final Map<Integer, NodeSpec> byId = new HashMap<>();
        final Map<InetSocketAddress, NodeSpec> byUdp = new HashMap<>();
        final Map<MacAddress, NodeSpec> byMac = new HashMap<>();
        for (final NodeSpec node : this.nodes)
        {
            final NodeSpec sameId = byId.putIfAbsent(node.id(), node);
            if (sameId != null)
            {
                throw new IllegalArgumentException("duplicate node id " + node.id());
            }
            final NodeSpec sameUdp = node.hasUdp() ? byUdp.putIfAbsent(node.udp(), node) : null;
            if (sameUdp != null)
            {
                throw new IllegalArgumentException(
                    "nodes " + sameUdp.id() + " and " + node.id() + " have the same udp address " + node.udp());
            }
            final NodeSpec sameMac = node.hasMac() ? byMac.putIfAbsent(node.mac(), node) : null;
            if (sameMac != null)
            {
                throw new IllegalArgumentException(
                    "nodes " + sameMac.id() + " and " + node.id() + " have the same mac " + node.mac());
            }
        }
        this.byId = Map.copyOf(byId);
    }

    /**
     * @param nodes at least one node; ids, UDP addresses and MACs each used once.
     * @return the cluster.
     * @throws IllegalArgumentException if the list is empty or a rule is broken.
     */
    public static Machines of(final List<NodeSpec> nodes)
    {
        if (nodes.isEmpty())
        {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        return new Machines(nodes);
    }

    /** @return every node, in the order given. */
    public List<NodeSpec> nodes()
    {
        return nodes;
    }

    /** @return the nodes that hold entries, in the order given. */
    public List<NodeSpec> slaves()
    {
        return slaves;
    }

    /** @return the nodes that run the cache client, in the order given. */
    public List<NodeSpec> clients()
    {
        return clients;
    }

    /** @return how many nodes there are. */
    public int size()
    {
        return nodes.size();
    }

    /**
     * @param id a node id.
     * @return whether a node has this id.
     */
    public boolean contains(final int id)
    {
        return byId.containsKey(id);
    }

    /**
     * @param id a node id.
     * @return the node with this id, if there is one.
     */
    public Optional<NodeSpec> find(final int id)
    {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * @param id the id of a node that must exist, such as this process's own id.
     * @return the node with this id.
     * @throws NoSuchElementException naming the id and the ids there are, if none has it.
     */
    public NodeSpec require(final int id)
    {
        final NodeSpec node = byId.get(id);
        if (node == null)
        {
            final List<Integer> ids = new ArrayList<>(nodes.size());
            nodes.forEach(n -> ids.add(n.id()));
            throw new NoSuchElementException("no node with id " + id + "; the ids are " + ids);
        }
        return node;
    }

    /** @return the sum of the slaves' weights, or 0 if there are no slaves. */
    public double totalSlaveWeight()
    {
        double total = 0;
        for (final NodeSpec slave : slaves)
        {
            total += slave.weight();
        }
        return total;
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof Machines that && nodes.equals(that.nodes);
    }

    @Override
    public int hashCode()
    {
        return nodes.hashCode();
    }

    @Override
    public String toString()
    {
        return "Machines" + nodes;
    }
}
