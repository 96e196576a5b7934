package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.diffusers.ClipTextFolder;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.nn.ClipTextModel;
import org.diffusion4j.nn.ClipTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train-clip}: a short run writes a tokenizer and text encoder in transformers' formats that load back. */
class TrainClipCommandTest {

    @TempDir
    Path dir;

    @Test
    void aShortRunWritesALoadableTokenizerAndTextEncoder() throws Exception {
        Path out = dir.resolve("clip");
        Cli r = Cli.run("train-clip", "--data", "shapes", "--out", out.toString(), "--steps", "20", "--batch", "8", "--size", "16",
                "--images", "200", "--width", "16");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("R@1"), r.out());
        ClipTokenizer tok = ClipTokenizerFolder.load(out.resolve("tokenizer"));
        assertEquals(16, tok.maxLength());
        try (NDManager m = NDManager.newBaseManager(); ClipTextModel text = ClipTextFolder.load(out.resolve("text_encoder"), m)) {
            int[] ids = tok.encode("a small red circle");
            long[] longs = java.util.Arrays.stream(ids).asLongStream().toArray();
            ClipTextModel.Output o = text.forward(m.create(longs).reshape(1, ids.length));
            assertEquals(16, o.pooled().getShape().get(1));
        }
        try (NDManager m = NDManager.newBaseManager(); org.diffusion4j.nn.ClipModel clip = org.diffusion4j.diffusers.ClipModelFiles.load(out, m)) {
            double score = org.diffusion4j.pipeline.ShapesEvaluation.ofRealImages(16, 20, 0,
                    new org.diffusion4j.pipeline.ShapesEvaluation.Clip(clip, tok)).clipScore();
            assertTrue(score >= 0 && score <= 100, "CLIP score " + score);
            // FD in CLIP image space against 2000 other real test images: its estimation bias shrinks with n
            org.diffusion4j.pipeline.ShapesEvaluation.Clip c = new org.diffusion4j.pipeline.ShapesEvaluation.Clip(clip, tok);
            double few = org.diffusion4j.pipeline.ShapesEvaluation.ofRealImages(16, 20, 0, c).fd();
            double many = org.diffusion4j.pipeline.ShapesEvaluation.ofRealImages(16, 400, 0, c).fd();
            assertTrue(many >= 0 && many < few, "FD of 400 real images " + many + " should be below that of 20, " + few);
        }
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("clip.json"))).getAsJsonObject();
        assertTrue(report.get("text_to_image_r_at_1").getAsDouble() >= 0);
        assertTrue(Files.size(out.resolve("loss.png")) > 0);
    }

    @Test
    void hardNegativesContinueAFolderAndReportWordOrder() throws Exception {
        Path first = dir.resolve("clip");
        assertEquals(0, Cli.run("train-clip", "--data", "shapes", "--out", first.toString(), "--steps", "5", "--batch", "8", "--size", "16",
                "--images", "200", "--width", "16").exitCode());
        Path out = dir.resolve("negclip");
        Cli r = Cli.run("train-clip", "--data", "shapes", "--init-from", first.toString(), "--hard-negatives", "--out", out.toString(),
                "--steps", "5", "--batch", "8", "--size", "16", "--images", "200", "--width", "32");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("word order before") && r.out().contains("word order after"), r.out());
        assertTrue(r.out().contains("text encoder 2 x 16 from"), "the folder's architecture, not --width: " + r.out());
        for (String f : new String[] {"vocab.json", "merges.txt", "tokenizer_config.json"}) {
            assertEquals(Files.readString(first.resolve("tokenizer").resolve(f)), Files.readString(out.resolve("tokenizer").resolve(f)), f);
        }
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("clip.json"))).getAsJsonObject();
        assertTrue(report.get("hard_negatives").getAsBoolean());
        assertEquals(256, report.get("word_order_images").getAsInt());
        double order = report.get("word_order_accuracy").getAsDouble();
        assertTrue(order >= 0 && order <= 1, "accuracy " + order);
        assertTrue(report.has("word_order_accuracy_before") && report.has("attribute_order_accuracy"), report.toString());

        Cli bad = Cli.run("train-clip", "--data", "shapes", "--init-from", out.resolve("tokenizer").toString(), "--out",
                dir.resolve("x").toString(), "--steps", "1", "--size", "16", "--images", "50");
        assertTrue(bad.exitCode() != 0 && bad.err().contains("tokenizer"), bad.err());
        assertTrue(!bad.err().contains("\tat "), "no stack trace: " + bad.err());
        assertTrue(!Files.exists(dir.resolve("x")), "nothing written");
    }

    @Test
    void badOptionsAreRefused() {
        Cli r = Cli.run("train-clip", "--data", "shapes", "--out", dir.toString(), "--batch", "1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--batch"), r.err());
        r = Cli.run("train-clip", "--data", dir.resolve("nowhere").toString(), "--out", dir.toString());
        assertTrue(r.exitCode() != 0 && r.err().contains("metadata.jsonl"), r.err());
    }
}
