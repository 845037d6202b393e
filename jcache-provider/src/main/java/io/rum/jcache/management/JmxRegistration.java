package io.rum.jcache.management;

import java.lang.management.ManagementFactory;
import java.net.URI;
import javax.cache.CacheException;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * Registers cache MXBeans on the platform MBeanServer under the names JSR-107 defines (and that
 * Micrometer's JCacheMetrics and JConsole look for):
 * {@code javax.cache:type=CacheStatistics|CacheConfiguration,CacheManager=<uri>,Cache=<name>},
 * with the characters that ObjectName reserves in values ({@code , : = \n}) replaced by '.'.
 */
public final class JmxRegistration {
    /** The two bean kinds. */
    public enum Kind {
        /** The CacheMXBean. */
        CONFIGURATION("CacheConfiguration"),
        /** The CacheStatisticsMXBean. */
        STATISTICS("CacheStatistics");

        final String type;

        Kind(String type) {
            this.type = type;
        }
    }

    private JmxRegistration() {
    }

    /** The standard object name of a cache's bean. */
    public static ObjectName objectName(Kind kind, URI managerUri, String cacheName) {
        final String text = "javax.cache:type=" + kind.type + ",CacheManager=" + sanitize(managerUri.toString())
            + ",Cache=" + sanitize(cacheName);
        try {
            return new ObjectName(text);
        } catch (MalformedObjectNameException e) {
            throw new CacheException("illegal MBean name " + text, e);
        }
    }

    private static String sanitize(String s) {
        return s == null ? "" : s.replaceAll("[,:=\n]", ".");
    }

    /** Registers the bean unless a bean of that name is registered already. */
    public static void register(Object bean, ObjectName name) {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            if (!server.isRegistered(name)) {
                server.registerMBean(bean, name);
            }
        } catch (InstanceAlreadyExistsException e) {
            // registered concurrently: the same cache's bean
        } catch (JMException e) {
            throw new CacheException("cannot register MBean " + name, e);
        }
    }

    /** Unregisters the bean if registered. */
    public static void unregister(ObjectName name) {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            if (server.isRegistered(name)) {
                server.unregisterMBean(name);
            }
        } catch (InstanceNotFoundException e) {
            // unregistered concurrently
        } catch (JMException e) {
            throw new CacheException("cannot unregister MBean " + name, e);
        }
    }
}
