package org.diffusion4j.hostile;

import static org.diffusion4j.hostile.Bytes.be32;
import static org.diffusion4j.hostile.Bytes.chunk;
import static org.diffusion4j.hostile.Bytes.concat;
import static org.diffusion4j.hostile.Bytes.cut;
import static org.diffusion4j.hostile.Bytes.entry;
import static org.diffusion4j.hostile.Bytes.gzipStored;
import static org.diffusion4j.hostile.Bytes.idx;
import static org.diffusion4j.hostile.Bytes.ihdr;
import static org.diffusion4j.hostile.Bytes.le64;
import static org.diffusion4j.hostile.Bytes.png;
import static org.diffusion4j.hostile.Bytes.ramp;
import static org.diffusion4j.hostile.Bytes.st;
import static org.diffusion4j.hostile.Bytes.utf8;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The generator of the hostile-input corpus under {@code src/test/resources/hostile/}: every
 * malformed file, the manifest {@code MANIFEST.tsv} that says what each must produce, and the
 * table in {@code docs/hostile-inputs.md}. The files are committed so they can be inspected;
 * {@link RegenerateCorpusTest} rewrites them and {@link HostileCorpusTest} checks that the
 * committed bytes are still what this class makes.
 */
final class HostileCorpus {

    /** One corpus entry: its manifest row, the files it consists of, whether their bytes are reproducible. */
    record Generated(HostileCase hostileCase, Supplier<Map<String, byte[]>> lazyFiles, boolean exact) {
        /** The files, made on demand (the gzip bombs take a second to deflate). */
        Map<String, byte[]> files() {
            return lazyFiles.get();
        }
    }

    static final String ST = "SafeTensorsException";
    static final String DS = "DatasetException";
    static final String CFG = "ModelFileException";

    private final List<Generated> out = new ArrayList<>();

    private HostileCorpus() {
    }

    /** Every corpus entry, in manifest order. */
    static List<Generated> all() {
        HostileCorpus c = new HostileCorpus();
        c.seeds();
        c.safetensorsCases();
        c.idxCases();
        c.imageCases();
        c.configCases();
        return c.out;
    }

    private void add(String path, Parser parser, String expected, String fragment, String description, byte[] bytes) {
        add(path, parser, expected, fragment, fileName(path), description, Map.of(path, bytes), true);
    }

    private void add(String path, Parser parser, String expected, String fragment, String names, String description,
            Map<String, byte[]> files, boolean exact) {
        add(path, parser, expected, fragment, names, description, () -> files, exact);
    }

    private void add(String path, Parser parser, String expected, String fragment, String names, String description,
            Supplier<Map<String, byte[]>> files, boolean exact) {
        out.add(new Generated(new HostileCase(path, parser, expected, fragment, names, description), files, exact));
    }

    private static String fileName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    // ------------------------------------------------------------------ seeds (must parse)

    /** The valid safetensors seed: metadata and five tensors of four dtypes, one a scalar. */
    static byte[] validSafetensors() {
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + entry("conv.weight", "F32", "[2,1,3,3]", 0, 72) + ","
                + entry("conv.bias", "F32", "[2]", 72, 80) + ","
                + entry("step", "I64", "[]", 80, 88) + ","
                + entry("half", "F16", "[2,2]", 88, 96) + ","
                + entry("mask", "BOOL", "[3]", 96, 99) + "}";
        return st(json, ramp(99));
    }

    static byte[] validIdxImages() {
        return idx(new int[] {3, 4, 5}, ramp(60));
    }

    static byte[] validIdxLabels() {
        return idx(new int[] {3}, new byte[] {0, 2, 1});
    }

    private void seeds() {
        add("seeds/valid.safetensors", Parser.SAFETENSORS, HostileCase.OK, "", "valid: metadata + 5 tensors (F32, I64 scalar, F16, BOOL); fuzz seed", validSafetensors());
        add("seeds/valid-empty.safetensors", Parser.SAFETENSORS, HostileCase.OK, "", "valid: header {} and no data", st("{}", new byte[0]));
        add("seeds/valid-images.idx", Parser.IDX, HostileCase.OK, "", "valid: 3x4x5 unsigned bytes; fuzz seed", validIdxImages());
        add("seeds/valid-labels.idx", Parser.IDX, HostileCase.OK, "", "valid: 3 labels; fuzz seed", validIdxLabels());
        add("seeds/valid-images.idx.gz", Parser.IDX, HostileCase.OK, "", "valid: gzip (stored blocks) of valid-images.idx; fuzz seed", gzipStored(validIdxImages()));
        Map<String, byte[]> mixed = new LinkedHashMap<>();
        mixed.put("seeds/mixed-channels-ok/a-gray.png", png(4, 4, 1));
        mixed.put("seeds/mixed-channels-ok/b-gray-alpha.png", png(4, 4, 2));
        mixed.put("seeds/mixed-channels-ok/c-rgb.png", png(4, 4, 3));
        mixed.put("seeds/mixed-channels-ok/d-rgba.png", png(4, 4, 4));
        add("seeds/mixed-channels-ok", Parser.IMAGE_FOLDER, HostileCase.OK, "", "",
                "valid: gray, gray+alpha, RGB, RGBA of one size; converted to RGB (documented), not an error", mixed, true);
    }

    // ------------------------------------------------------------------ safetensors

    private void stCase(String name, String fragment, String description, byte[] bytes) {
        add("safetensors/" + name, Parser.SAFETENSORS, ST, fragment, description, bytes);
    }

    private void safetensorsCases() {
        byte[] valid = validSafetensors();
        String a8 = entry("a", "F32", "[2]", 0, 8);
        stCase("empty.safetensors", "file is 0 bytes", "0-byte file", new byte[0]);
        stCase("five-bytes.safetensors", "shorter than the 8-byte header length", "file ends inside the header length", cut(valid, 5));
        stCase("truncated-in-header.safetensors", "runs past the end of the file", "valid file cut inside the JSON header", cut(valid, 40));
        stCase("truncated-in-data.safetensors", "truncated?", "valid file with its last 3 data bytes cut", cut(valid, valid.length - 3));
        stCase("header-length-beyond-file.safetensors", "runs past the end of the file", "header length 1000 in a 26-byte file",
                Bytes.st(1000, utf8("{\"a\":1}"), new byte[11]));
        stCase("header-length-2pow63.safetensors", "header length 9223372036854775808 exceeds the limit",
                "header length 2^63 (negative as a signed long)", concat(le64(Long.MIN_VALUE), utf8("{}      ")));
        stCase("header-length-2pow64-1.safetensors", "header length 18446744073709551615 exceeds the limit",
                "header length 2^64-1 (all bits set)", concat(le64(-1L), utf8("{}      ")));
        stCase("header-length-over-100MB.safetensors", "header length 100000001 exceeds the limit",
                "header length just above the 100 MB cap", concat(le64(100_000_001L), utf8("{}      ")));
        stCase("header-length-zero.safetensors", "header is not valid JSON", "header length 0: empty JSON",
                concat(le64(0), new byte[0]));
        stCase("non-utf8-header.safetensors", "header is not valid UTF-8", "header holds the invalid sequence C3 28",
                Bytes.st(16, concat(utf8("{\"a\u00e9"), new byte[] {(byte) 0xC3, 0x28}, utf8("\":{}}    ")), new byte[0]));
        stCase("bad-json.safetensors", "header is not valid JSON", "header JSON ends inside an object",
                Bytes.st("{\"a\":{\"dtype\":\"F32\",", new byte[0]));
        stCase("lenient-json.safetensors", "header is not valid JSON", "single-quoted names (lenient JSON is refused)",
                Bytes.st("{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]}}", new byte[8]));
        stCase("header-not-object.safetensors", "header is not a JSON object", "header is a JSON array", Bytes.st("[1,2,3]", new byte[0]));
        stCase("two-json-values.safetensors", "header", "header holds two JSON objects", Bytes.st("{} {}", new byte[0]));
        stCase("deep-nesting.safetensors", "header is not a JSON object", "20000 nested arrays (stack-depth attack)",
                Bytes.st("[".repeat(20_000), new byte[0]));
        stCase("deep-nesting-shape.safetensors", "shape holds a non-number", "a shape of 10000 nested arrays",
                Bytes.st("{\"a\":{\"dtype\":\"F32\",\"shape\":" + "[".repeat(10_000) + "}}", new byte[0]));
        stCase("unknown-dtype.safetensors", "unknown dtype \"F33\"", "dtype F33", Bytes.st("{" + entry("a", "F33", "[2]", 0, 8) + "}", new byte[8]));
        stCase("dtype-not-string.safetensors", "dtype is not a string", "dtype 4", Bytes.st("{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]));
        stCase("missing-dtype.safetensors", "missing dtype", "entry without dtype", Bytes.st("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]));
        stCase("missing-offsets.safetensors", "missing data_offsets", "entry without data_offsets", Bytes.st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]));
        stCase("unknown-field.safetensors", "unknown field \"strides\"", "entry with an extra field",
                Bytes.st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"strides\":[1],\"data_offsets\":[0,8]}}", new byte[8]));
        stCase("duplicate-field.safetensors", "duplicate field \"dtype\"", "one entry names its dtype twice (F64 then F32)",
                Bytes.st("{\"a\":{\"dtype\":\"F64\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]));
        stCase("entry-not-object.safetensors", "entry is not an object", "tensor entry is a string", Bytes.st("{\"a\":\"F32\"}", new byte[0]));
        stCase("overlapping-ranges.safetensors", "overlaps the previous tensor", "b's range [4,12) overlaps a's [0,8)",
                Bytes.st("{" + a8 + "," + entry("b", "F32", "[2]", 4, 12) + "}", new byte[12]));
        stCase("identical-ranges.safetensors", "overlaps the previous tensor", "a and b share the range [0,8)",
                Bytes.st("{" + a8 + "," + entry("b", "F32", "[2]", 0, 8) + "}", new byte[8]));
        stCase("gapped-ranges.safetensors", "gap in the data buffer", "bytes [8,12) belong to no tensor",
                Bytes.st("{" + a8 + "," + entry("b", "F32", "[2]", 12, 20) + "}", new byte[20]));
        stCase("gap-at-start.safetensors", "gap in the data buffer", "the first tensor starts at 4",
                Bytes.st("{" + entry("a", "F32", "[2]", 4, 12) + "}", new byte[12]));
        stCase("trailing-bytes.safetensors", "trailing bytes that belong to no tensor", "valid file plus 4 bytes", concat(valid, new byte[4]));
        stCase("shape-overflow.safetensors", "overflows", "shape [2^32, 2^32]: element count 2^64",
                Bytes.st("{" + entry("a", "F32", "[4294967296,4294967296]", 0, 8) + "}", new byte[8]));
        stCase("shape-bytes-overflow.safetensors", "overflows", "shape [2^62] of F32: 2^62 elements fit a long, 2^64 bytes do not",
                Bytes.st("{" + entry("a", "F32", "[4611686018427387904]", 0, 8) + "}", new byte[8]));
        stCase("dim-beyond-long.safetensors", "not an integer in [0, 2^63)", "dimension 2^64 (beyond a long)",
                Bytes.st("{" + entry("a", "F32", "[18446744073709551616]", 0, 8) + "}", new byte[8]));
        stCase("negative-dim.safetensors", "negative value -2", "shape [-2, -1]: product 2 would match 8 bytes",
                Bytes.st("{" + entry("a", "F32", "[-2,-1]", 0, 8) + "}", new byte[8]));
        stCase("fractional-dim.safetensors", "not an integer", "shape [2.0]", Bytes.st("{" + entry("a", "F32", "[2.0]", 0, 8) + "}", new byte[8]));
        stCase("exponent-dim.safetensors", "not an integer", "shape [2e0]", Bytes.st("{" + entry("a", "F32", "[2e0]", 0, 8) + "}", new byte[8]));
        stCase("shape-mismatch.safetensors", "needs 12 bytes but data_offsets give 8", "shape [3] of F32 in an 8-byte range",
                Bytes.st("{" + entry("a", "F32", "[3]", 0, 8) + "}", new byte[8]));
        stCase("offsets-beyond-buffer.safetensors", "tensors need 1024 data bytes but the file holds 16", "data_offsets [0,1024] in a 16-byte buffer",
                Bytes.st("{" + entry("a", "F32", "[256]", 0, 1024) + "}", new byte[16]));
        stCase("offsets-far-beyond-buffer.safetensors", "tensors need 2305843009213693951 data bytes but the file holds 8",
                "U8 tensor of 2^61-1 bytes in an 8-byte buffer (nothing may be allocated for it)",
                Bytes.st("{" + entry("a", "U8", "[2305843009213693951]", 0, 2305843009213693951L) + "}", new byte[8]));
        stCase("offsets-reversed.safetensors", "data_offsets begin 8 > end 0", "data_offsets [8,0]",
                Bytes.st("{" + entry("a", "F32", "[0]", 8, 0) + "}", new byte[8]));
        stCase("offsets-negative.safetensors", "negative value -8", "data_offsets [-8,0]",
                Bytes.st("{" + entry("a", "F32", "[2]", -8, 0) + "}", new byte[8]));
        stCase("offsets-2pow64.safetensors", "not an integer in [0, 2^63)", "data_offsets end 2^64-1",
                Bytes.st("{" + entry("a", "F32", "[2]", "0", "18446744073709551615") + "}", new byte[8]));
        stCase("offsets-three.safetensors", "data_offsets must be [begin, end]", "data_offsets [0,4,8]",
                Bytes.st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", new byte[8]));
        String longName = "w".repeat(10_000);
        stCase("huge-name.safetensors", "unknown dtype \"F33\"", "a 10000-character tensor name: the message must stay short",
                Bytes.st("{" + entry(longName, "F33", "[2]", 0, 8) + "}", new byte[8]));
        stCase("huge-name-bad-json.safetensors", "header is not valid JSON", "a 10000-character name, then broken JSON (Gson's message quotes the path)",
                Bytes.st("{\"" + longName + "\":{\"dtype\" \"F32\"}}", new byte[0]));
        stCase("escape-in-name.safetensors", "tensor \"\\u001b[2J\\u0007owned\\u000a\": unknown dtype",
                "a name holding ESC [2J (clear screen), BEL and a newline: escaped in the message, not printed raw",
                Bytes.st("{" + entry("\\u001b[2J\\u0007owned\\n", "F33", "[2]", 0, 8) + "}", new byte[8]));
        stCase("duplicate-names.safetensors", "duplicate tensor name \"a\"", "tensor a listed twice",
                Bytes.st("{" + a8 + "," + entry("a", "F32", "[2]", 8, 16) + "}", new byte[16]));
        stCase("duplicate-metadata.safetensors", "duplicate entry \"__metadata__\"", "__metadata__ listed twice",
                Bytes.st("{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0]));
        stCase("metadata-non-string.safetensors", "value of \"epoch\" is NUMBER, not a string", "__metadata__ {\"epoch\": 3}",
                Bytes.st("{\"__metadata__\":{\"epoch\":3}}", new byte[0]));
        stCase("metadata-nested.safetensors", "value of \"a\" is BEGIN_OBJECT, not a string", "__metadata__ value is an object",
                Bytes.st("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", new byte[0]));
        stCase("metadata-not-object.safetensors", "\"__metadata__\" must be an object", "__metadata__ is a string",
                Bytes.st("{\"__metadata__\":\"pt\"}", new byte[0]));
        stCase("metadata-duplicate-key.safetensors", "duplicate \"__metadata__\" key \"format\"", "__metadata__ key twice",
                Bytes.st("{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"}}", new byte[0]));

        // pickle and torch.save zip: refused before parsing, by name or by content
        byte[] pickle2 = concat(new byte[] {(byte) 0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00},
                utf8("a"), new byte[] {0x71, 0x01, 0x4b, 0x01, 0x73, 0x2e}); // {'a': 1} as pickle protocol 2
        byte[] pickle4 = concat(new byte[] {(byte) 0x80, 0x04, (byte) 0x95, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0x7d, (byte) 0x94,
                (byte) 0x8c, 0x01}, utf8("a"), new byte[] {(byte) 0x94, 0x4b, 0x01, 0x73, 0x2e}); // protocol 4
        String how = "convert it to safetensors";
        stCase("pickle.bin", how, "pickle (protocol 2) named .bin: refused by name", pickle2);
        stCase("model.ckpt", how, "pickle named .ckpt: refused by name", pickle2);
        stCase("model.pt", how, "pickle named .pt: refused by name", pickle4);
        stCase("model.pth", how, "pickle named .pth: refused by name", pickle4);
        stCase("pickle-proto2.safetensors", "this is a pickle file", "pickle protocol 2 content under a .safetensors name", pickle2);
        stCase("pickle-proto4.safetensors", "this is a pickle file", "pickle protocol 4 content under a .safetensors name", pickle4);
        stCase("pickle-short.safetensors", "this is a pickle file", "a 6-byte pickle (shorter than the header length)", cut(pickle2, 6));
        stCase("torch-save-zip.safetensors", "this is a torch.save zip file", "a torch.save-style zip (archive/data.pkl) under a .safetensors name", torchZip(pickle2));
        stCase("torch-save.pt", how, "a torch.save-style zip named .pt", torchZip(pickle2));
    }

    /** A zip laid out as torch.save writes it: archive/data.pkl, archive/version (fixed timestamps). */
    private static byte[] torchZip(byte[] pickle) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
                for (Map.Entry<String, byte[]> e : Map.of("archive/data.pkl", pickle, "archive/version", utf8("3\n")).entrySet()
                        .stream().sorted(Map.Entry.comparingByKey()).toList()) {
                    ZipEntry z = new ZipEntry(e.getKey());
                    z.setTime(315532800000L + 12 * 3600 * 1000L); // 1980-01-01, DOS epoch: no time zone drift
                    z.setMethod(ZipEntry.STORED);
                    z.setSize(e.getValue().length);
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(e.getValue());
                    z.setCrc(crc.getValue());
                    zip.putNextEntry(z);
                    zip.write(e.getValue());
                    zip.closeEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ IDX

    private void idxCase(String name, String fragment, String description, byte[] bytes) {
        add("idx/" + name, Parser.IDX, DS, fragment, description, bytes);
    }

    private void idxCases() {
        byte[] images = validIdxImages();
        idxCase("empty.idx", "truncated", "0-byte file", new byte[0]);
        idxCase("three-bytes.idx", "fewer than the 4-byte IDX magic", "file ends inside the magic", new byte[] {0, 0, 8});
        idxCase("bad-magic.idx", "bad magic number 0x08030000", "magic bytes reversed (little-endian writer)",
                concat(new byte[] {8, 3, 0, 0}, be32(3), be32(4), be32(5), ramp(60)));
        idxCase("text.idx", "bad magic number", "a text file", utf8("hello, world\n"));
        idxCase("type-float32.idx", "element type 0x0D (float32) is not supported", "float32 elements",
                idx(0x0D, 1, new int[] {2}, new byte[8]));
        idxCase("type-unknown.idx", "element type 0x42 (not an IDX type)", "element type 0x42",
                idx(0x42, 1, new int[] {2}, new byte[2]));
        idxCase("rank-0.idx", "rank 0 is not supported", "rank 0 (a scalar)", idx(0x08, 0, new int[0], new byte[1]));
        idxCase("rank-9.idx", "rank 9 is not supported", "rank 9", idx(0x08, 9, new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, new byte[1]));
        idxCase("rank-255.idx", "rank 255 is not supported", "rank 255 with no dims", idx(0x08, 255, new int[0], new byte[0]));
        idxCase("dim-ffffffff.idx", "dimension 1 of 3 is -1", "dimension 0xFFFFFFFF", idx(new int[] {1, -1, 4}, new byte[4]));
        idxCase("dim-negative-min.idx", "dimension 0 of 1 is -2147483648", "dimension 0x80000000", idx(new int[] {Integer.MIN_VALUE}, new byte[0]));
        idxCase("dim-zero.idx", "dimension 0 of 3 is 0", "dimension 0", idx(new int[] {0, 28, 28}, new byte[0]));
        idxCase("dims-product-overflow.idx", "more than the limit", "3 dims of 2^31-1: product ~2^93",
                idx(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, new byte[0]));
        idxCase("dims-huge-under-limit.idx", "truncated: header declares 1x32768x65535 = 2147450880 data bytes but the file holds 16",
                "declares 2 GB (just under the limit) and holds 16 bytes: refused before allocation",
                idx(new int[] {1, 32768, 65535}, new byte[16]));
        idxCase("truncated-dims.idx", "ends inside the dimensions", "rank 3 but only 2 dims", cut(images, 12));
        idxCase("truncated-data.idx", "truncated: header declares 3x4x5 = 60 data bytes but the file holds 59",
                "one data byte missing", cut(images, images.length - 1));
        idxCase("trailing-bytes.idx", "trailing bytes: header declares 3x4x5 = 60 data bytes but the file holds 61",
                "one byte too many", concat(images, new byte[1]));
        add("idx/rank-1-as-images.idx", Parser.IDX_IMAGES, DS, "an images file must have rank 3",
                "a labels file (rank 1) opened as images", validIdxLabels());

        byte[] gz = gzipStored(images);
        idxCase("gzip-truncated.idx.gz", "corrupt or truncated gzip stream", "valid gzip cut in its middle", cut(gz, gz.length / 2));
        idxCase("gzip-no-trailer.idx.gz", "corrupt or truncated gzip stream", "valid gzip without its 8-byte CRC/size trailer", cut(gz, gz.length - 8));
        byte[] badCrc = gz.clone();
        badCrc[badCrc.length - 8] ^= 1;
        idxCase("gzip-bad-crc.idx.gz", "corrupt or truncated gzip stream", "CRC32 in the trailer off by one bit", badCrc);
        idxCase("gzip-magic-only.idx.gz", "corrupt or truncated gzip stream", "just the gzip magic 1f 8b", new byte[] {0x1f, (byte) 0x8b});
        idxCase("gzip-bad-method.idx.gz", "corrupt or truncated gzip stream", "gzip header with compression method 7",
                concat(new byte[] {0x1f, (byte) 0x8b, 7, 0, 0, 0, 0, 0, 0, (byte) 255}, new byte[16]));
        idxCase("gzip-bad-block.idx.gz", "corrupt or truncated gzip stream", "deflate block type 3 (reserved)",
                concat(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255}, new byte[] {0x07, 0, 0, 0}, new byte[8]));
        idxCase("gzip-trailing-bytes.idx.gz", "trailing bytes", "gzip of a file with one byte too many", gzipStored(concat(images, new byte[1])));
        idxCase("gzip-bad-magic-inside.idx.gz", "bad magic number", "gzip of a text file", gzipStored(utf8("not an idx file\n")));

        // gzip bombs: 64 MiB of zeros deflated at best compression into ~64 KB (zlib-dependent bytes)
        add("idx/gzip-bomb-small-header.idx.gz", Parser.IDX, DS, "trailing bytes", "gzip-bomb-small-header.idx.gz",
                "declares 10x28x28, inflates to 64 MiB: reading stops one byte past 7840",
                () -> Map.of("idx/gzip-bomb-small-header.idx.gz", bomb(new int[] {10, 28, 28})), false);
        add("idx/gzip-bomb-huge-header.idx.gz", Parser.IDX, DS, "gzip bomb", "gzip-bomb-huge-header.idx.gz",
                "declares 2 GB, inflates 64 MiB of zeros from ~64 KB: refused at the compression-ratio cap, not buffered",
                () -> Map.of("idx/gzip-bomb-huge-header.idx.gz", bomb(new int[] {1, 32768, 65535})), false);
    }

    private static byte[] bomb(int[] dims) {
        byte[] raw = concat(idx(dims, new byte[0]), new byte[64 << 20]);
        return Bytes.gzip(Bytes.deflateBest(raw), raw);
    }

    // ------------------------------------------------------------------ images

    private void image(String folder, String file, String fragment, String description, byte[] bytes, boolean exact) {
        String dir = "images/" + folder;
        add(dir, Parser.IMAGE_FOLDER, DS, fragment, file, description, Map.of(dir + "/" + file, bytes), exact);
    }

    private void imageCases() {
        byte[] rgb16 = png(16, 16, 3);
        image("huge-png", "huge.png", "declares 65535x65535 pixels", "IHDR declares 65535x65535 (16 GiB of RGBA)",
                concat(Bytes.PNG_SIGNATURE, ihdr(65535, 65535, 8, 6), chunk("IEND", new byte[0])), true);
        image("huge-png-idat", "huge.png", "declares 65535x65535 pixels", "IHDR 65535x65535 followed by a tiny IDAT",
                concat(Bytes.PNG_SIGNATURE, ihdr(65535, 65535, 8, 2), chunk("IDAT", Bytes.zlibStored(new byte[64])),
                        chunk("IEND", new byte[0])), true);
        image("truncated-png", "cut.png", "corrupt or truncated image", "16x16 RGB PNG cut in its IDAT", cut(rgb16, rgb16.length / 2), true);
        image("truncated-png-header", "cut.png", "corrupt or truncated image", "PNG cut inside IHDR", cut(rgb16, 20), true);
        image("png-signature-only", "sig.png", "corrupt or truncated image", "only the 8-byte PNG signature",
                Bytes.PNG_SIGNATURE.clone(), true);
        image("png-zero-width", "zero.png", "corrupt or truncated image", "IHDR width 0",
                concat(Bytes.PNG_SIGNATURE, ihdr(0, 4, 8, 2), chunk("IEND", new byte[0])), true);
        image("png-bad-color-type", "bad.png", "corrupt or truncated image", "IHDR colour type 5 (does not exist)",
                concat(Bytes.PNG_SIGNATURE, ihdr(4, 4, 8, 5), chunk("IEND", new byte[0])), true);
        image("png-bad-bit-depth", "bad.png", "corrupt or truncated image", "RGB at bit depth 3 (not allowed)",
                concat(Bytes.PNG_SIGNATURE, ihdr(4, 4, 3, 2), chunk("IEND", new byte[0])), true);
        byte[] jpeg = jpeg(rgbImage(16, 16));
        image("truncated-jpeg", "cut.jpg", "corrupt or truncated image", "16x16 JPEG cut in the middle of its scan data",
                cut(jpeg, (marker(jpeg, 0xDA) + jpeg.length) / 2), false);
        image("truncated-jpeg-header", "cut.jpg", "corrupt or truncated image", "JPEG cut before its scan (no SOS marker)",
                cut(jpeg, marker(jpeg, 0xDA)), false);
        image("jpeg-soi-only", "soi.jpg", "corrupt or truncated image", "only the JPEG start-of-image marker",
                new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, true);
        image("huge-jpeg", "huge.jpg", "declares 65500x65500 pixels", "JPEG whose frame header declares 65500x65500", hugeJpeg(jpeg), false);
        add("images/cmyk-jpeg", Parser.IMAGE_FOLDER, HostileCase.OK, "", "cmyk.jpg",
                "4-channel JPEG (no Adobe marker): ImageIO decodes it as CMYK and it is converted to RGB like any "
                        + "other channel count; not an error", Map.of("images/cmyk-jpeg/cmyk.jpg", jpeg4()), false);
        image("text-as-png", "notes.png", "not a PNG or JPEG image", "a text file named .png", utf8("these are my notes, not an image\n"), true);
        image("empty-png", "empty.png", "not a PNG or JPEG image", "a 0-byte .png", new byte[0], true);
        image("safetensors-as-jpg", "model.jpg", "not a PNG or JPEG image", "a safetensors file named .jpg", validSafetensors(), true);
        Map<String, byte[]> mixed = new LinkedHashMap<>();
        mixed.put("images/mixed-sizes/a.png", png(4, 4, 3));
        mixed.put("images/mixed-sizes/b.png", png(5, 4, 3));
        add("images/mixed-sizes", Parser.IMAGE_FOLDER, DS, "is 5x4 (width x height) but a.png is 4x4", "b.png",
                "a 4x4 and a 5x4 image without a resize", mixed, true);
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("images/one-bad-among-good/a.png", png(4, 4, 3));
        bad.put("images/one-bad-among-good/b.png", cut(png(4, 4, 3), 60));
        bad.put("images/one-bad-among-good/c.png", png(4, 4, 3));
        add("images/one-bad-among-good", Parser.IMAGE_FOLDER, DS, "corrupt or truncated image", "b.png",
                "good, truncated, good: the bad file is named", bad, true);
    }

    /** A 16x16 RGB JPEG written by ImageIO (fuzz seed). */
    static byte[] validJpeg() {
        return jpeg(rgbImage(16, 16));
    }

    private static BufferedImage rgbImage(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 16) << 16 | (y * 16) << 8 | ((x + y) * 8));
            }
        }
        return img;
    }

    private static byte[] jpeg(BufferedImage img) {
        return writeJpeg(w -> {
            try {
                w.write(img);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** A JPEG of a 4-band raster (ImageIO writes it; no Adobe marker, so no known colour space). */
    private static byte[] jpeg4() {
        WritableRaster r = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 8, 8, 4, null);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                r.setPixel(x, y, new int[] {x * 30, y * 30, 128, 200});
            }
        }
        return writeJpeg(w -> {
            try {
                w.write(null, new IIOImage(r, null, null), null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static byte[] writeJpeg(Consumer<ImageWriter> body) {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(bytes)) {
            w.setOutput(ios);
            body.accept(w);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }

    /** Index of the first JPEG marker {@code FF code}. */
    private static int marker(byte[] jpeg, int code) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xFF && (jpeg[i + 1] & 0xff) == code) {
                return i;
            }
        }
        throw new IllegalStateException("no marker FF" + Integer.toHexString(code));
    }

    /** Rewrites the height and width of the SOF0 frame header to 65500 (0xFFDC). */
    private static byte[] hugeJpeg(byte[] jpeg) {
        byte[] b = jpeg.clone();
        int i = marker(b, 0xC0);
        b[i + 5] = (byte) 0xFF;
        b[i + 6] = (byte) 0xDC;
        b[i + 7] = (byte) 0xFF;
        b[i + 8] = (byte) 0xDC;
        return b;
    }

    // ------------------------------------------------------------------ UNet config.json

    private static JsonObject baseConfig() {
        return JsonParser.parseString("""
                {"_class_name": "UNet2DModel", "act_fn": "silu", "attention_head_dim": 8,
                 "block_out_channels": [16, 32], "down_block_types": ["DownBlock2D", "AttnDownBlock2D"],
                 "up_block_types": ["AttnUpBlock2D", "UpBlock2D"], "in_channels": 3, "out_channels": 3,
                 "layers_per_block": 2, "norm_eps": 1e-05, "norm_num_groups": 8, "sample_size": 16,
                 "time_embedding_type": "positional", "flip_sin_to_cos": true, "freq_shift": 0}""").getAsJsonObject();
    }

    /** The valid config every hostile config edits (pretty-printed JSON). */
    static byte[] validConfig() {
        return utf8(new GsonBuilder().setPrettyPrinting().create().toJson(baseConfig()) + "\n");
    }

    private void config(String name, String fragment, String description, Consumer<JsonObject> edit) {
        JsonObject c = baseConfig();
        edit.accept(c);
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(c) + "\n";
        config(name, fragment, description, utf8(json));
    }

    /** Like {@link #config(String, String, String, Consumer)} with the base config's text edited as a string. */
    private void configText(String name, String fragment, String description, String from, String to) {
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(baseConfig()) + "\n";
        if (!json.contains(from)) {
            throw new IllegalStateException(name + ": base config has no " + from);
        }
        config(name, fragment, description, utf8(json.replace(from, to)));
    }

    private void config(String name, String fragment, String description, byte[] bytes) {
        String path = "config/" + name + "/config.json";
        add(path, Parser.UNET_CONFIG, CFG, fragment, name + "/config.json", description, Map.of(path, bytes), true);
    }

    private void configCases() {
        config("valid", "", "valid: the base of the hostile configs (2 levels, 16/32 channels)", c -> { });
        out.set(out.size() - 1, new Generated(new HostileCase("config/valid/config.json", Parser.UNET_CONFIG, HostileCase.OK, "",
                "valid/config.json", "valid: the base every hostile config below edits"), out.get(out.size() - 1).lazyFiles(), true));
        config("unknown-block-type", "\"down_block_types\" contains \"CrossAttnDownBlock3D\"", "down_block_types holds an unknown block",
                c -> c.getAsJsonArray("down_block_types").set(1, new com.google.gson.JsonPrimitive("CrossAttnDownBlock3D")));
        config("absurd-channels", "block_out_channels", "block_out_channels [1e9, 1e9]", c -> {
            JsonArray a = new JsonArray();
            a.add(1_000_000_000);
            a.add(1_000_000_000);
            c.add("block_out_channels", a);
        });
        config("absurd-parameter-count", "parameters, more than", "block_out_channels [16384, 16384]: every size in range, billions of parameters",
                c -> {
                    JsonArray a = new JsonArray();
                    a.add(16384);
                    a.add(16384);
                    c.add("block_out_channels", a);
                });
        config("absurd-class-table", "num_class_embeds 10000000", "num_class_embeds 1e7 with 96 channels: 3.8e9 parameters (15 GB) "
                + "from a 511-byte file, under the old 4e9 cap; refused by the 2 GiB weight cap before allocating", c -> {
                    JsonArray a = new JsonArray();
                    a.add(96);
                    a.add(96);
                    c.add("block_out_channels", a);
                    c.addProperty("num_class_embeds", 10_000_000);
                });
        config("absurd-sample-size", "\"sample_size\" = 1000000000", "sample_size 1e9", c -> c.addProperty("sample_size", 1_000_000_000));
        configText("sample-size-1e400", "sample_size", "sample_size 1e400 (infinite as a double)", "\"sample_size\": 16", "\"sample_size\": 1e400");
        configText("channels-tiny-exponent", "in_channels", "in_channels 1e-999999999 (a BigDecimal scale attack on the number parser)",
                "\"in_channels\": 3", "\"in_channels\": 1e-999999999");
        config("negative-layers", "layers_per_block", "layers_per_block -1", c -> c.addProperty("layers_per_block", -1));
        config("missing-block-out-channels", "required field \"block_out_channels\" is missing", "block_out_channels absent", c -> c.remove("block_out_channels"));
        config("missing-sample-size", "required field \"sample_size\" is missing", "sample_size absent", c -> c.remove("sample_size"));
        config("block-count-mismatch", "one entry per entry of block_out_channels", "3 channel counts for 2 down blocks", c -> c.getAsJsonArray("block_out_channels").add(64));
        config("groups-not-dividing", "norm_num_groups", "norm_num_groups 7 does not divide 16 or 32", c -> c.addProperty("norm_num_groups", 7));
        config("wrong-type-string", "\"in_channels\" must be an integer", "in_channels is the string \"three\"", c -> c.addProperty("in_channels", "three"));
        config("wrong-type-object", "\"sample_size\" must be a positive integer", "sample_size is an object", c -> c.add("sample_size", new JsonObject()));
        config("wrong-type-list", "\"down_block_types\" must be a list of block type names", "down_block_types is a string",
                c -> c.addProperty("down_block_types", "DownBlock2D"));
        config("fractional-channels", "\"in_channels\" must be an integer", "in_channels 2.5", c -> c.addProperty("in_channels", 2.5));
        config("wrong-class", "\"_class_name\" is \"UNet2DConditionModel\"", "a text-conditioned UNet's config",
                c -> c.addProperty("_class_name", "UNet2DConditionModel"));
        config("not-json", "not valid JSON", "not JSON at all", utf8("this is not json\n"));
        config("empty", "expected a JSON object", "0-byte config.json", new byte[0]);
        config("json-array", "expected a JSON object, got a list", "a JSON array", utf8("[1, 2, 3]\n"));
        config("deep-nesting", "not valid JSON", "20000 nested arrays as a field value (the parser's long JSON path is cut)",
                utf8("{\"sample_size\": " + "[".repeat(20_000) + "}\n"));
        config("non-utf8", "UTF-8", "the byte FF inside a string",
                concat(utf8("{\"_class_name\": \"UNet2DModel\u00e9"), new byte[] {(byte) 0xFF}, utf8("\"}\n")));
    }

    // ------------------------------------------------------------------ writing

    /** The manifest text. */
    static String manifest(List<Generated> all) {
        StringBuilder sb = new StringBuilder(HostileCase.HEADER).append('\n');
        for (Generated g : all) {
            sb.append(g.hostileCase().toTsv()).append('\n');
        }
        return sb.toString();
    }

    static final String TABLE_BEGIN = "<!-- BEGIN GENERATED TABLE (HostileCorpus; regenerate, do not edit) -->";
    static final String TABLE_END = "<!-- END GENERATED TABLE -->";

    /** The markdown table for docs/hostile-inputs.md. */
    static String table(List<Generated> all) {
        StringBuilder sb = new StringBuilder(TABLE_BEGIN).append("\n\n");
        sb.append("| input (under `src/test/resources/hostile/`) | reader | must produce | message contains | what is wrong |\n");
        sb.append("|---|---|---|---|---|\n");
        for (Generated g : all) {
            HostileCase c = g.hostileCase();
            String fragment = c.fragment().isEmpty() ? "" : "`" + c.fragment().replace("|", "\\|") + "`";
            sb.append("| `").append(c.path()).append("` | ").append(c.parser()).append(" | ")
                    .append(c.mustParse() ? "parses" : "`" + c.expected() + "`").append(" | ").append(fragment)
                    .append(" | ").append(c.description().replace("|", "\\|")).append(" |\n");
        }
        return sb.append('\n').append(TABLE_END).toString();
    }

    /** Writes the corpus, the manifest and the docs table under the repository root. */
    static void writeAll(Path repoRoot) throws IOException {
        Path dir = repoRoot.resolve("diffusion4j-core/src/test/resources/hostile");
        List<Generated> all = all();
        for (Generated g : all) {
            for (Map.Entry<String, byte[]> f : g.files().entrySet()) {
                Path p = dir.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                Files.write(p, f.getValue());
            }
        }
        Files.writeString(dir.resolve("MANIFEST.tsv"), manifest(all), StandardCharsets.UTF_8);
        Path docs = repoRoot.resolve("docs/hostile-inputs.md");
        String text = Files.exists(docs) ? Files.readString(docs) : TABLE_BEGIN + "\n" + TABLE_END + "\n";
        int b = text.indexOf(TABLE_BEGIN);
        int e = text.indexOf(TABLE_END);
        if (b < 0 || e < b) {
            throw new IllegalStateException(docs + ": table markers missing");
        }
        Files.writeString(docs, text.substring(0, b) + table(all) + text.substring(e + TABLE_END.length()));
    }
}
