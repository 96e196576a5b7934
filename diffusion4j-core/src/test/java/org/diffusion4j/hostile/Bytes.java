package org.diffusion4j.hostile;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Byte-level builders for hostile files. Compression uses deflate <em>stored</em> blocks wherever
 * the content need not be small, so the output does not depend on the zlib version and the
 * committed corpus can be compared byte for byte with what the generator makes.
 */
final class Bytes {
    private Bytes() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static byte[] be32(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        return b;
    }

    static byte[] cut(byte[] b, int length) {
        return Arrays.copyOf(b, length);
    }

    // ---- safetensors ----

    /** A safetensors file: header length (as given), header bytes, data bytes. */
    static byte[] st(long declaredLength, byte[] header, byte[] data) {
        return concat(le64(declaredLength), header, data);
    }

    /** A safetensors file with an honest header length, the header padded with spaces to 8 bytes. */
    static byte[] st(String json, byte[] data) {
        byte[] h = utf8(json);
        int padded = (h.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(h, padded);
        Arrays.fill(header, h.length, padded, (byte) ' ');
        return st(padded, header, data);
    }

    /** One header entry, {@code "name":{"dtype":..,"shape":..,"data_offsets":[b,e]}}. */
    static String entry(String name, String dtype, String shape, String begin, String end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return entry(name, dtype, shape, Long.toString(begin), Long.toString(end));
    }

    // ---- IDX ----

    /** An IDX file: magic {@code 00 00 type rank}, big-endian int32 dims, data. */
    static byte[] idx(int type, int rank, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) rank);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    static byte[] idx(int[] dims, byte[] data) {
        return idx(0x08, dims.length, dims, data);
    }

    // ---- deflate / gzip / zlib ----

    /** Raw deflate made of stored (uncompressed) blocks only. */
    static byte[] deflateStored(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int off = 0;
        do {
            int n = Math.min(65535, data.length - off);
            boolean last = off + n == data.length;
            out.write(last ? 1 : 0);
            out.write(n & 0xff);
            out.write(n >>> 8);
            out.write(~n & 0xff);
            out.write((~n >>> 8) & 0xff);
            out.write(data, off, n);
            off += n;
        } while (off < data.length);
        return out.toByteArray();
    }

    /** Raw deflate at best compression (zlib-version dependent bytes). */
    static byte[] deflateBest(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    /** A gzip member around raw deflate bytes of {@code data}: fixed header (mtime 0), CRC32, ISIZE. */
    static byte[] gzip(byte[] deflated, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        trailer.putInt((int) crc.getValue()).putInt(data.length);
        byte[] header = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255};
        return concat(header, deflated, trailer.array());
    }

    static byte[] gzipStored(byte[] data) {
        return gzip(deflateStored(data), data);
    }

    /** A zlib stream of stored blocks (what PNG's IDAT holds). */
    static byte[] zlibStored(byte[] data) {
        int a = 1;
        int b = 0;
        for (byte x : data) {
            a = (a + (x & 0xff)) % 65521;
            b = (b + a) % 65521;
        }
        return concat(new byte[] {0x78, 0x01}, deflateStored(data), be32((b << 16) | a));
    }

    // ---- PNG ----

    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static byte[] chunk(String type, byte[] data) {
        CRC32 crc = new CRC32();
        byte[] t = utf8(type);
        crc.update(t);
        crc.update(data);
        return concat(be32(data.length), t, data, be32((int) crc.getValue()));
    }

    static byte[] ihdr(int width, int height, int bitDepth, int colorType) {
        ByteBuffer b = ByteBuffer.allocate(13).putInt(width).putInt(height);
        b.put((byte) bitDepth).put((byte) colorType).put((byte) 0).put((byte) 0).put((byte) 0);
        return chunk("IHDR", b.array());
    }

    /**
     * A complete 8-bit PNG of {@code channels} samples per pixel (1 gray, 2 gray+alpha, 3 RGB,
     * 4 RGBA), pixels a deterministic pattern, filter 0 on every row, IDAT of stored blocks.
     */
    static byte[] png(int width, int height, int channels) {
        int colorType = switch (channels) {
            case 1 -> 0;
            case 2 -> 4;
            case 3 -> 2;
            case 4 -> 6;
            default -> throw new IllegalArgumentException("channels " + channels);
        };
        int stride = 1 + width * channels;
        byte[] raw = new byte[height * stride];
        for (int y = 0; y < height; y++) {
            for (int i = 1; i < stride; i++) {
                raw[y * stride + i] = (byte) (y * 31 + i * 13);
            }
        }
        return concat(PNG_SIGNATURE, ihdr(width, height, 8, colorType), chunk("IDAT", zlibStored(raw)),
                chunk("IEND", new byte[0]));
    }
}
