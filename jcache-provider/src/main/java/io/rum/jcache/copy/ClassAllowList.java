package io.rum.jcache.copy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Which classes Java serialization may read or write: the guard against deserialization gadgets.
 *
 * <p>Always allowed: primitives and arrays of allowed element types, the packages
 * {@code java.lang} and {@code java.math}, and {@code java.util} and {@code java.time} with their
 * sub-packages. Everything else must be listed: an exact class name, {@code pkg.*} (that package)
 * or {@code pkg.**} (and its sub-packages). The key and value types a cache declares are allowed
 * too (their fields' classes still need listing if outside the defaults).
 */
public final class ClassAllowList {
    private static final List<String> DEFAULT_PACKAGES = List.of("java.lang", "java.math");
    private static final List<String> DEFAULT_TREES = List.of("java.util", "java.time");

    private final Set<String> classes;
    private final List<String> packages;
    private final List<String> trees;

    private ClassAllowList(Set<String> classes, List<String> packages, List<String> trees) {
        this.classes = classes;
        this.packages = packages;
        this.trees = trees;
    }

    /**
     * Parses patterns separated by ';' or ',' (blank entries ignored).
     *
     * @param patterns    e.g. {@code "com.acme.Order;com.acme.model.**"}; may be null.
     * @param extraClasses classes allowed by name (the declared key and value types).
     */
    public static ClassAllowList parse(String patterns, Collection<Class<?>> extraClasses) {
        final java.util.HashSet<String> classes = new java.util.HashSet<>();
        final List<String> packages = new ArrayList<>(DEFAULT_PACKAGES);
        final List<String> trees = new ArrayList<>(DEFAULT_TREES);
        if (patterns != null) {
            for (final String raw : patterns.split("[;,]")) {
                final String p = raw.strip();
                if (p.isEmpty()) {
                    continue;
                }
                if (p.endsWith(".**")) {
                    trees.add(p.substring(0, p.length() - 3));
                } else if (p.endsWith(".*")) {
                    packages.add(p.substring(0, p.length() - 2));
                } else if (p.equals("*") || p.equals("**")) {
                    throw new IllegalArgumentException("allowing every class defeats the filter: " + p);
                } else {
                    classes.add(p);
                }
            }
        }
        for (final Class<?> c : extraClasses) {
            if (c != null && c != Object.class) {
                classes.add(elementType(c).getName());
            }
        }
        return new ClassAllowList(Set.copyOf(classes), List.copyOf(packages), List.copyOf(trees));
    }

    /** Whether objects of this class may be serialized or deserialized. */
    public boolean allows(Class<?> type) {
        final Class<?> c = elementType(type);
        if (c.isPrimitive()) {
            return true;
        }
        return allowsName(c.getName(), c.getPackageName());
    }

    /** Name-based check, usable before a class is resolved. */
    public boolean allowsName(String className, String packageName) {
        if (classes.contains(className)) {
            return true;
        }
        for (final String p : packages) {
            if (p.equals(packageName)) {
                return true;
            }
        }
        for (final String t : trees) {
            if (packageName.equals(t) || packageName.startsWith(t + ".")) {
                return true;
            }
        }
        return false;
    }

    private static Class<?> elementType(Class<?> c) {
        Class<?> e = c;
        while (e.isArray()) {
            e = e.getComponentType();
        }
        return e;
    }
}
