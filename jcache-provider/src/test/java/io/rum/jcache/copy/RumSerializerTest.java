package io.rum.jcache.copy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serial;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RumSerializerTest {
    private final ClassLoader loader = getClass().getClassLoader();
    private final RumSerializer strict = new RumSerializer(ClassAllowList.parse(null, List.of()));

    /** A user class: must be listed to travel. */
    record Order(String id, int quantity) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** Not serializable at all. */
    static final class Opaque {
    }

    private Object roundTrip(RumSerializer s, Object o) {
        return s.deserialize(s.serialize(o), loader);
    }

    @Test
    void builtInsRoundTripExactly() {
        final Object[] values = {"", "plain ascii", "caf\u00e9", "\u4e2d\u6587", "lone \ud800 surrogate",
            0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, -5L, Long.MIN_VALUE, (short) -3, (byte) -128, 'x', '\uffff',
            true, false, -0.0f, Float.NaN, 1.5f, -0.0d, Double.MAX_VALUE};
        for (final Object v : values) {
            assertEquals(v, roundTrip(strict, v), () -> "round trip of " + v);
            assertEquals(v.getClass(), roundTrip(strict, v).getClass());
        }
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) roundTrip(strict, new byte[] {1, 2, 3}));
    }

    @Test
    void builtInsAreCompactAndCanonical() {
        assertEquals(5, strict.serialize(42).length);
        assertEquals(9, strict.serialize(42L).length);
        assertEquals(4, strict.serialize("abc").length);
        assertArrayEquals(strict.serialize("k" + 1), strict.serialize("k1"));
    }

    @Test
    void defaultPackagesTravelByJavaSerialization() {
        final ArrayList<Object> list = new ArrayList<>(List.of(1, "two", Instant.ofEpochSecond(3), new int[] {4}));
        @SuppressWarnings("unchecked") // the list was serialized just above
        final List<Object> back = (List<Object>) roundTrip(strict, list);
        assertEquals(list.subList(0, 3), back.subList(0, 3));
        assertArrayEquals(new int[] {4}, (int[]) back.get(3));
    }

    @Test
    void aClassNotAllowedIsRefusedWhenWritten() {
        final SerializationFailedException e = assertThrows(SerializationFailedException.class,
            () -> strict.serialize(new Order("a", 1)));
        assertTrue(e.getMessage().contains(Order.class.getName()), e.getMessage());
    }

    @Test
    void aClassNotAllowedIsRefusedWhenRead() {
        final RumSerializer permissive = new RumSerializer(ClassAllowList.parse(Order.class.getName(), List.of()));
        final byte[] bytes = permissive.serialize(new Order("a", 1));
        assertEquals(new Order("a", 1), permissive.deserialize(bytes, loader));
        assertThrows(SerializationFailedException.class, () -> strict.deserialize(bytes, loader));
    }

    @Test
    void listedPackagesAndDeclaredTypesAreAllowed() {
        final String pkg = Order.class.getPackageName();
        assertEquals(new Order("b", 2), roundTrip(new RumSerializer(ClassAllowList.parse(pkg + ".*", List.of())), new Order("b", 2)));
        assertEquals(new Order("c", 3), roundTrip(new RumSerializer(ClassAllowList.parse("io.rum.**", List.of())), new Order("c", 3)));
        assertEquals(new Order("d", 4), roundTrip(new RumSerializer(ClassAllowList.parse(null, List.of(Order.class))), new Order("d", 4)));
    }

    @Test
    void aValueThatCannotBeSerializedFailsWithTheCause() {
        final RumSerializer s = new RumSerializer(ClassAllowList.parse(Opaque.class.getName(), List.of()));
        final SerializationFailedException e = assertThrows(SerializationFailedException.class, () -> s.serialize(new Opaque()));
        assertTrue(e.getCause() instanceof java.io.NotSerializableException, e.toString());
    }

    @Test
    void allowingEverythingIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ClassAllowList.parse("**", List.of()));
    }
}
