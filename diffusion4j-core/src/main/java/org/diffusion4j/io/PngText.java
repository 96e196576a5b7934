package org.diffusion4j.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/**
 * PNG files that remember how they were made: the settings go into {@code tEXt} chunks (PNG 1.2,
 * §4.2.3.1) right after {@code IHDR}, as AUTOMATIC1111 and sd4j do with their {@code parameters} key.
 * Keys are 1–79 Latin-1 characters; values are written as Latin-1 (characters outside it become '?').
 */
public final class PngText {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngText() {}

    /** The PNG bytes of {@code image} with one {@code tEXt} chunk per entry of {@code text}, in order. */
    public static byte[] encode(BufferedImage image, Map<String, String> text) throws IOException {
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", plain)) {
            throw new IOException("no PNG writer for image type " + image.getType());
        }
        byte[] png = plain.toByteArray();
        int afterHeader = SIGNATURE.length + 8 + 13 + 4;   // IHDR: length, type, 13 bytes of data, CRC
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + 256);
        out.write(png, 0, afterHeader);
        for (Map.Entry<String, String> e : text.entrySet()) {
            out.write(chunk("tEXt", textData(e.getKey(), e.getValue())));
        }
        out.write(png, afterHeader, png.length - afterHeader);
        return out.toByteArray();
    }

    /**
     * The {@code tEXt} entries of a PNG file, in file order.
     *
     * @throws IOException when the bytes are not a PNG, a chunk runs past the end or IEND is missing
     */
    public static Map<String, String> read(byte[] png) throws IOException {
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png.length <= i || png[i] != SIGNATURE[i]) {
                throw new IOException("not a PNG file (bad signature)");
            }
        }
        Map<String, String> text = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(png);
        b.position(SIGNATURE.length);
        while (b.remaining() >= 12) {
            int length = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            if (length < 0 || length > b.remaining() - 4) {
                throw new IOException("PNG chunk " + new String(type, StandardCharsets.ISO_8859_1) + " runs past the end of the file");
            }
            byte[] data = new byte[length];
            b.get(data);
            b.getInt();   // CRC
            String name = new String(type, StandardCharsets.ISO_8859_1);
            if (name.equals("tEXt")) {
                int zero = 0;
                while (zero < data.length && data[zero] != 0) {
                    zero++;
                }
                String key = new String(data, 0, zero, StandardCharsets.ISO_8859_1);
                String value = zero < data.length ? new String(data, zero + 1, data.length - zero - 1, StandardCharsets.ISO_8859_1) : "";
                text.put(key, value);
            }
            if (name.equals("IEND")) {
                return text;
            }
        }
        throw new IOException("PNG file ends before its IEND chunk (truncated)");
    }

    private static byte[] textData(String key, String value) {
        if (key.isEmpty() || key.length() > 79 || key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a PNG text key has 1-79 characters and no NUL, got '" + key + "'");
        }
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        byte[] v = value.replace('\0', ' ').getBytes(StandardCharsets.ISO_8859_1);
        byte[] data = new byte[k.length + 1 + v.length];
        System.arraycopy(k, 0, data, 0, k.length);
        System.arraycopy(v, 0, data, k.length + 1, v.length);
        return data;
    }

    private static byte[] chunk(String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(t).put(data).putInt((int) crc.getValue());
        return b.array();
    }
}
