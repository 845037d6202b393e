package io.rum.jcache.copy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The default {@link Serializer}: one tag byte, then a fast fixed encoding for String, the boxed
 * primitives and byte[], and Java serialization for everything else.
 *
 * <pre>
 *  0        1
 * +--------+---------------------------------------------+
 * |  tag   | payload (big-endian fixed width, or bytes)  |
 * +--------+---------------------------------------------+
 * </pre>
 *
 * Strings whose chars all fit in one byte are stored one byte per char (LATIN1), others as
 * UTF-16 chars: both round-trip every String exactly (UTF-8 would not, for lone surrogates) and
 * are canonical, so String keys compare by bytes.
 *
 * <p>Java serialization is guarded both ways by a {@link ClassAllowList}: writing an object of a
 * class that is not allowed fails at once (so nothing is stored that could not be read back), and
 * reading goes through an {@link ObjectInputFilter} with the same list, plus any JVM-wide filter.
 * Classes are resolved with the class loader passed in (the CacheManager's).
 */
public final class RumSerializer implements Serializer {
    private static final byte JAVA = 0;
    private static final byte STRING_LATIN1 = 1;
    private static final byte STRING_UTF16 = 2;
    private static final byte INTEGER = 3;
    private static final byte LONG = 4;
    private static final byte SHORT = 5;
    private static final byte BYTE = 6;
    private static final byte CHARACTER = 7;
    private static final byte BOOLEAN = 8;
    private static final byte FLOAT = 9;
    private static final byte DOUBLE = 10;
    private static final byte BYTES = 11;

    /** Bounds on a deserialized graph: a corrupt or hostile stream cannot exhaust the JVM. */
    private static final long MAX_DEPTH = 1_000;
    private static final long MAX_REFERENCES = 10_000_000;

    private final ClassAllowList allowList;

    /** @param allowList the classes Java serialization may carry. */
    public RumSerializer(ClassAllowList allowList) {
        this.allowList = allowList;
    }

    @Override
    public byte[] serialize(Object object) {
        return switch (object) {
            case String s -> encodeString(s);
            case Integer i -> putLong(new byte[5], INTEGER, i, 4);
            case Long l -> putLong(new byte[9], LONG, l, 8);
            case Short s -> putLong(new byte[3], SHORT, s, 2);
            case Byte b -> new byte[] {BYTE, b};
            case Character c -> putLong(new byte[3], CHARACTER, c, 2);
            case Boolean b -> new byte[] {BOOLEAN, (byte) (b ? 1 : 0)};
            case Float f -> putLong(new byte[5], FLOAT, Float.floatToRawIntBits(f), 4);
            case Double d -> putLong(new byte[9], DOUBLE, Double.doubleToRawLongBits(d), 8);
            case byte[] b -> {
                final byte[] out = new byte[b.length + 1];
                out[0] = BYTES;
                System.arraycopy(b, 0, out, 1, b.length);
                yield out;
            }
            default -> serializeJava(object);
        };
    }

    @Override
    public Object deserialize(byte[] bytes, ClassLoader classLoader) {
        if (bytes.length == 0) {
            throw new SerializationFailedException("empty serialized form");
        }
        return switch (bytes[0]) {
            case STRING_LATIN1 -> decodeLatin1(bytes);
            case STRING_UTF16 -> decodeUtf16(bytes);
            case INTEGER -> (int) getLong(bytes, 4);
            case LONG -> getLong(bytes, 8);
            case SHORT -> (short) getLong(bytes, 2);
            case BYTE -> bytes[1];
            case CHARACTER -> (char) getLong(bytes, 2);
            case BOOLEAN -> bytes[1] != 0;
            case FLOAT -> Float.intBitsToFloat((int) getLong(bytes, 4));
            case DOUBLE -> Double.longBitsToDouble(getLong(bytes, 8));
            case BYTES -> Arrays.copyOfRange(bytes, 1, bytes.length);
            case JAVA -> deserializeJava(bytes, classLoader);
            default -> throw new SerializationFailedException("unknown serialized form tag " + bytes[0]);
        };
    }

    private static byte[] encodeString(String s) {
        final int n = s.length();
        boolean latin1 = true;
        for (int i = 0; i < n && latin1; i++) {
            latin1 = s.charAt(i) < 256;
        }
        if (latin1) {
            final byte[] out = new byte[n + 1];
            out[0] = STRING_LATIN1;
            for (int i = 0; i < n; i++) {
                out[i + 1] = (byte) s.charAt(i);
            }
            return out;
        }
        final byte[] out = new byte[2 * n + 1];
        out[0] = STRING_UTF16;
        for (int i = 0; i < n; i++) {
            final char c = s.charAt(i);
            out[1 + 2 * i] = (byte) (c >>> 8);
            out[2 + 2 * i] = (byte) c;
        }
        return out;
    }

    private static String decodeLatin1(byte[] b) {
        final char[] chars = new char[b.length - 1];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) (b[i + 1] & 0xFF);
        }
        return new String(chars);
    }

    private static String decodeUtf16(byte[] b) {
        final char[] chars = new char[(b.length - 1) / 2];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) (((b[1 + 2 * i] & 0xFF) << 8) | (b[2 + 2 * i] & 0xFF));
        }
        return new String(chars);
    }

    private static byte[] putLong(byte[] out, byte tag, long v, int width) {
        out[0] = tag;
        for (int i = 0; i < width; i++) {
            out[width - i] = (byte) (v >>> (8 * i));
        }
        return out;
    }

    private static long getLong(byte[] b, int width) {
        if (b.length != width + 1) {
            throw new SerializationFailedException("bad length " + b.length + " for tag " + b[0]);
        }
        long v = 0;
        for (int i = 1; i <= width; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        // Sign-extend to the width so the casts above give the right negative values.
        final int shift = 64 - 8 * width;
        return (v << shift) >> shift;
    }

    private byte[] serializeJava(Object object) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        bytes.write(JAVA);
        try (CheckingOutputStream out = new CheckingOutputStream(bytes, allowList)) {
            out.writeObject(object);
        } catch (SerializationFailedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SerializationFailedException("cannot serialize " + object.getClass().getName() + ": " + e, e);
        }
        return bytes.toByteArray();
    }

    private Object deserializeJava(byte[] bytes, ClassLoader classLoader) {
        final InputStream in = new ByteArrayInputStream(bytes, 1, bytes.length - 1);
        try (ObjectInputStream ois = new LoaderObjectInputStream(in, classLoader)) {
            ois.setObjectInputFilter(filter());
            return ois.readObject();
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            throw new SerializationFailedException("cannot deserialize a value: " + e, e);
        }
    }

    private ObjectInputFilter filter() {
        final ObjectInputFilter jvmWide = ObjectInputFilter.Config.getSerialFilter();
        return info -> {
            if (jvmWide != null && jvmWide.checkInput(info) == ObjectInputFilter.Status.REJECTED) {
                return ObjectInputFilter.Status.REJECTED;
            }
            if (info.depth() > MAX_DEPTH || info.references() > MAX_REFERENCES) {
                return ObjectInputFilter.Status.REJECTED;
            }
            final Class<?> c = info.serialClass();
            if (c == null) {
                return ObjectInputFilter.Status.UNDECIDED;
            }
            return allowList.allows(c) ? ObjectInputFilter.Status.ALLOWED : ObjectInputFilter.Status.REJECTED;
        };
    }

    /** Rejects, while writing, any object whose class the allow-list would refuse on reading. */
    private static final class CheckingOutputStream extends ObjectOutputStream {
        private final ClassAllowList allowList;

        CheckingOutputStream(OutputStream out, ClassAllowList allowList) throws IOException {
            super(out);
            this.allowList = allowList;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) throws IOException {
            // An ObjectStreamException is the stream recording its own failure (the bytes are
            // discarded): let it through so the caller sees the real cause.
            final Class<?> type = obj instanceof Enum<?> e ? e.getDeclaringClass() : obj == null ? null : obj.getClass();
            if (type != null && !(obj instanceof java.io.ObjectStreamException) && !allowList.allows(type)) {
                throw new SerializationFailedException("class " + type.getName()
                    + " is not in the serialization allow-list (add it with the CacheManager property "
                    + "rum.serialization.allow or the system property of the same name)");
            }
            return obj;
        }
    }

    /** Resolves classes with the given loader first (the CacheManager's), then the default way. */
    private static final class LoaderObjectInputStream extends ObjectInputStream {
        private final ClassLoader classLoader;

        LoaderObjectInputStream(InputStream in, ClassLoader classLoader) throws IOException {
            super(in);
            this.classLoader = classLoader;
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            if (classLoader != null) {
                try {
                    return Class.forName(desc.getName(), false, classLoader);
                } catch (ClassNotFoundException e) {
                    // primitives and classes only the default resolution finds
                }
            }
            return super.resolveClass(desc);
        }
    }
}
