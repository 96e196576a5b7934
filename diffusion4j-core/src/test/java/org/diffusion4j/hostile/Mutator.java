package org.diffusion4j.hostile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded mutations of a byte array: bit flips, byte overwrites, inserts, deletes, truncation,
 * chunk repeats, splicing with another input, and format-aware rewrites of length fields
 * (safetensors' little-endian header length, IDX's magic and big-endian dimensions, PNG chunk
 * lengths and IHDR size, JPEG segment lengths) and of JSON numbers and tokens. The same seed gives the same sequence of mutants.
 */
final class Mutator {
    /** Which length fields and tokens the format-aware mutations aim at. */
    enum Format { SAFETENSORS, IDX, JSON, IMAGE }

    private static final long[] INTERESTING_LONGS = {0, 1, -1, 7, 8, 255, 256, 65535, 65536, Integer.MAX_VALUE,
        Integer.MIN_VALUE, 0xFFFFFFFFL, Long.MAX_VALUE, Long.MIN_VALUE, 100_000_000L, 100_000_001L, 1L << 31, 1L << 32,
        1L << 62};
    private static final int[] INTERESTING_INTS = {0, 1, -1, 2, 255, 256, 28, 32768, 65535, 65536, Integer.MAX_VALUE,
        Integer.MIN_VALUE, 0x7FFFFFF7, 46341};
    private static final String[] NUMBERS = {"0", "1", "-1", "-0", "8", "2.5", "1e3", "1e-999999999", "1e400", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551615", "99999999999999999999999999", "2147483647",
        "0x10", "NaN", "00", "3"};
    private static final String[] TOKENS = {"\"F32\"", "\"F64\"", "\"F16\"", "\"BF16\"", "\"BOOL\"", "\"U8\"", "\"I64\"",
        "\"F8_E4M3\"", "\"X\"", "\"\"", "null", "true", "[]", "{}", "[0]", "[1,1]", "\"__metadata__\"", "\"dtype\"",
        "\"shape\"", "\"data_offsets\"", "\"a\"", "\"\\u0000\"", "\"\\ud800\"", "[[[[[[[[", "]]]]", ",", ":", "{", "}"};

    private static final java.util.regex.Pattern OFFSETS =
            java.util.regex.Pattern.compile("\"data_offsets\":\\[(\\d{1,15}),(\\d{1,15})\\]");

    private final SplittableRandom random;
    private final Format format;

    Mutator(long seed, Format format) {
        this.random = new SplittableRandom(seed);
        this.format = format;
    }

    /**
     * One to four stacked mutations of {@code input}; {@code other} is a splice partner. For
     * safetensors, three times in four the header and the data are mutated apart and the header
     * length is rewritten to stay honest, so that mutants get past the length check into the JSON
     * and range checks.
     */
    byte[] mutate(byte[] input, byte[] other) {
        if (format == Format.SAFETENSORS && input.length >= 8 && random.nextInt(4) != 0) {
            long len = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (len >= 0 && len <= input.length - 8) {
                byte[] header = Arrays.copyOfRange(input, 8, 8 + (int) len);
                byte[] data = Arrays.copyOfRange(input, 8 + (int) len, input.length);
                if (random.nextInt(3) != 0) {
                    header = stack(header, other, Format.JSON);
                } else {
                    data = stack(data, other, Format.IDX /* no JSON, no length field: plain byte ops */);
                }
                byte[] out = new byte[8 + header.length + data.length];
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                System.arraycopy(header, 0, out, 8, header.length);
                System.arraycopy(data, 0, out, 8 + header.length, data.length);
                return out;
            }
        }
        return stack(input, other, format);
    }

    private byte[] stack(byte[] input, byte[] other, Format as) {
        byte[] b = input;
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            b = once(b, other, as);
        }
        return b;
    }

    private byte[] once(byte[] b, byte[] other, Format format) {
        int op = random.nextInt(13);
        if (b.length == 0 && op < 8) {
            return insert(b, 0, randomBytes(1 + random.nextInt(16)));
        }
        switch (op) {
            case 0, 1 -> { // flip 1-4 bits
                byte[] c = b.clone();
                for (int k = 1 + random.nextInt(4); k > 0; k--) {
                    int i = random.nextInt(c.length);
                    c[i] ^= (byte) (1 << random.nextInt(8));
                }
                return c;
            }
            case 2 -> { // overwrite a byte with an interesting or random value
                byte[] c = b.clone();
                byte[] values = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 1, '"', '[', '{', '}', ',', '-'};
                c[random.nextInt(c.length)] = random.nextBoolean() ? values[random.nextInt(values.length)]
                        : (byte) random.nextInt(256);
                return c;
            }
            case 3 -> { // insert random bytes or a copy of a chunk
                int at = random.nextInt(b.length + 1);
                return insert(b, at, random.nextBoolean() ? randomBytes(1 + random.nextInt(16)) : chunk(b));
            }
            case 4 -> { // delete a range
                int from = random.nextInt(b.length);
                int len = 1 + random.nextInt(Math.min(32, b.length - from));
                return delete(b, from, len);
            }
            case 5 -> { // truncate
                return Arrays.copyOf(b, random.nextInt(b.length));
            }
            case 6 -> { // repeat a chunk many times (grows the input)
                byte[] chunk = chunk(b);
                int times = 1 + random.nextInt(64);
                byte[] rep = new byte[chunk.length * times];
                for (int t = 0; t < times; t++) {
                    System.arraycopy(chunk, 0, rep, t * chunk.length, chunk.length);
                }
                return insert(b, random.nextInt(b.length + 1), rep);
            }
            case 7 -> { // splice: a prefix of this, a suffix of the other
                if (other.length == 0) {
                    return b;
                }
                int cut = random.nextInt(b.length + 1);
                int from = random.nextInt(other.length + 1);
                byte[] c = Arrays.copyOf(b, cut + other.length - from);
                System.arraycopy(other, from, c, cut, other.length - from);
                return c;
            }
            case 8, 9 -> {
                return format == Format.JSON ? json(b, format) : format == Format.IDX && this.format != Format.IDX
                        ? b : lengthField(b);
            }
            default -> {
                if (format == Format.IMAGE) {
                    return lengthField(b);
                }
                return format == Format.IDX ? (this.format == Format.IDX ? lengthField(b) : b) : json(b, format);
            }
        }
    }

    /** Rewrites the format's length field(s) with an interesting, off-by-k or random value. */
    private byte[] lengthField(byte[] b) {
        byte[] c = b.length >= 16 ? b.clone() : Arrays.copyOf(b, 16);
        if (format == Format.SAFETENSORS) {
            ByteBuffer bb = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
            long actual = bb.getLong(0);
            long v = switch (random.nextInt(4)) {
                case 0 -> INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)];
                case 1 -> actual + random.nextInt(33) - 16;
                case 2 -> c.length - 8 + random.nextInt(5) - 2;
                default -> random.nextLong();
            };
            bb.putLong(0, v);
            return c;
        }
        if (format == Format.IDX) {
            ByteBuffer bb = ByteBuffer.wrap(c);
            switch (random.nextInt(4)) {
                case 0 -> c[2] = (byte) (random.nextBoolean() ? 0x08 : random.nextInt(256)); // element type
                case 1 -> c[3] = (byte) random.nextInt(random.nextBoolean() ? 6 : 256); // rank
                default -> {
                    int dim = 4 + 4 * random.nextInt(Math.max(1, Math.min(4, (c.length - 4) / 4)));
                    int actual = bb.getInt(dim);
                    bb.putInt(dim, random.nextBoolean() ? INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)]
                            : actual + random.nextInt(9) - 4);
                }
            }
            return c;
        }
        if (format == Format.IMAGE) {
            return imageField(b);
        }
        return json(b, format);
    }

    /** PNG: a chunk's length, or IHDR's width or height; JPEG (or anything else): a 16-bit big-endian field. */
    private byte[] imageField(byte[] b) {
        byte[] c = b.clone();
        ByteBuffer bb = ByteBuffer.wrap(c);
        boolean png = c.length >= 24 && c[1] == 'P' && c[2] == 'N' && c[3] == 'G';
        if (png) {
            List<Integer> lengths = new ArrayList<>();
            for (long at = 8; at + 8 <= c.length && lengths.size() < 64; ) {
                lengths.add((int) at);
                at += 12 + (bb.getInt((int) at) & 0xFFFFFFFFL);
            }
            int field = random.nextBoolean() ? 16 + 4 * random.nextInt(2) : lengths.get(random.nextInt(lengths.size()));
            int actual = bb.getInt(field);
            bb.putInt(field, random.nextBoolean() ? INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)]
                    : actual + random.nextInt(9) - 4);
            return c;
        }
        if (c.length < 4) {
            return c;
        }
        int at = random.nextInt(c.length - 1);
        int v = random.nextBoolean() ? (random.nextBoolean() ? 0xFFFF : 0) : ((bb.getShort(at) & 0xFFFF) + random.nextInt(9) - 4);
        bb.putShort(at, (short) v);
        return c;
    }

    /** Replaces a JSON number or token in the text (after safetensors' 8-byte length, if any). */
    private byte[] json(byte[] b, Format format) {
        int start = format == Format.SAFETENSORS ? Math.min(8, b.length) : 0;
        String text = new String(b, start, b.length - start, StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher pair = OFFSETS.matcher(text);
        List<java.util.regex.MatchResult> pairs = pair.results().toList();
        if (!pairs.isEmpty() && random.nextInt(3) == 0) { // shift a whole range: overlaps and gaps, sizes intact
            java.util.regex.MatchResult r = pairs.get(random.nextInt(pairs.size()));
            long k = random.nextInt(17) - 8;
            String shifted = "\"data_offsets\":[" + (Long.parseLong(r.group(1)) + k) + "," + (Long.parseLong(r.group(2)) + k) + "]";
            return replaceText(b, start, text.substring(0, r.start()) + shifted + text.substring(r.end()), format);
        }
        List<int[]> spans = new ArrayList<>();
        boolean numbers = random.nextBoolean();
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (numbers ? (Character.isDigit(ch) || ch == '-') : ch == '"') {
                int j = i + 1;
                if (numbers) {
                    while (j < text.length() && (Character.isDigit(text.charAt(j)) || ".eE+-".indexOf(text.charAt(j)) >= 0)) {
                        j++;
                    }
                } else {
                    while (j < text.length() && text.charAt(j) != '"') {
                        j++;
                    }
                    j = Math.min(text.length(), j + 1);
                }
                spans.add(new int[] {i, j});
                i = j - 1;
            }
        }
        if (spans.isEmpty()) {
            return b;
        }
        int[] s = spans.get(random.nextInt(spans.size()));
        String with = numbers ? NUMBERS[random.nextInt(NUMBERS.length)] : TOKENS[random.nextInt(TOKENS.length)];
        if (numbers && random.nextBoolean()) { // a near miss: the number plus or minus a little (overlaps, gaps)
            try {
                with = Long.toString(Long.parseLong(text.substring(s[0], s[1])) + random.nextInt(17) - 8);
            } catch (NumberFormatException e) {
                // not a plain integer: keep the interesting number
            }
        }
        if (!numbers && random.nextInt(4) == 0) { // duplicate the span instead (duplicate names and fields)
            with = text.substring(s[0], s[1]) + text.substring(s[0], s[1]);
        }
        return replaceText(b, start, text.substring(0, s[0]) + with + text.substring(s[1]), format);
    }

    private byte[] replaceText(byte[] b, int start, String mutated, Format format) {
        byte[] body = mutated.getBytes(StandardCharsets.ISO_8859_1);
        byte[] c = new byte[start + body.length];
        System.arraycopy(b, 0, c, 0, start);
        System.arraycopy(body, 0, c, start, body.length);
        if (format == Format.SAFETENSORS && start == 8 && random.nextInt(4) != 0) { // usually keep the length honest
            ByteBuffer bb = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
            bb.putLong(0, bb.getLong(0) + body.length - (b.length - start));
        }
        return c;
    }

    private byte[] chunk(byte[] b) {
        if (b.length == 0) {
            return new byte[0];
        }
        int from = random.nextInt(b.length);
        return Arrays.copyOfRange(b, from, from + 1 + random.nextInt(Math.min(64, b.length - from)));
    }

    private byte[] randomBytes(int n) {
        byte[] r = new byte[n];
        for (int i = 0; i < n; i++) {
            r[i] = (byte) random.nextInt(256);
        }
        return r;
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] c = new byte[b.length + what.length];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(what, 0, c, at, what.length);
        System.arraycopy(b, at, c, at + what.length, b.length - at);
        return c;
    }

    private static byte[] delete(byte[] b, int from, int len) {
        byte[] c = new byte[b.length - len];
        System.arraycopy(b, 0, c, 0, from);
        System.arraycopy(b, from + len, c, from, b.length - from - len);
        return c;
    }

    /** Picks an index below {@code n}. */
    int pick(int n) {
        return random.nextInt(n);
    }

    boolean chance(int oneIn) {
        return random.nextInt(oneIn) == 0;
    }
}
