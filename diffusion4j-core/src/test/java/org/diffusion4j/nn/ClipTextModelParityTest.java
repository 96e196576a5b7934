package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusion4j.diffusers.ClipTextFolder;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLIPTextModel against transformers on the fixture (2 layers, width 32, 4 heads, L = 16): every hidden
 * state, the last hidden state, the pooled output (argmax(input_ids) for the legacy eos id 2), with and
 * without the padding mask; and the ids the fixture fed it are the ones our tokenizer makes.
 */
@Tag("kernel")
class ClipTextModelParityTest {

    static final Path FIXTURE = ClipTokenizerTest.FIXTURE;
    static final List<String> PROMPTS = List.of("a red circle above a blue square",
            "a small green triangle, left of a large yellow cross");
    /** A few times the float32-vs-float64 spread the fixture's README measured (1.2e-6 of 2.9). */
    static final double TOLERANCE = 1e-5;

    @Test
    void matchesTransformers() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); ClipTextModel model = ClipTextFolder.load(FIXTURE.resolve("text_encoder"), m)) {
            SafeTensors ref = SafeTensors.read(FIXTURE.resolve("reference/text_encoder_io.safetensors"));
            NDArray ids = ref.toNDArray("input_ids", m);
            ClipTokenizer tok = ClipTokenizerTest.fixtureTokenizer();
            long[] expectedIds = ids.toLongArray();
            for (int b = 0; b < PROMPTS.size(); b++) {
                int[] ours = tok.encode(PROMPTS.get(b));
                for (int j = 0; j < ours.length; j++) {
                    assertEquals(expectedIds[b * ours.length + j], ours[j], "id " + j + " of " + PROMPTS.get(b));
                }
            }
            ClipTextModel.Output out = model.forward(ids);
            for (int i = 0; i <= 2; i++) {
                assertClose(ref.toNDArray("hidden_states/" + i, m), out.hiddenStates().get(i), "hidden_states/" + i);
            }
            assertClose(ref.toNDArray("last_hidden_state", m), out.lastHiddenState(), "last_hidden_state");
            assertClose(ref.toNDArray("pooler_output", m), out.pooled(), "pooler_output");
            ClipTextModel.Output masked = model.forward(ids, ref.toNDArray("attention_mask", m));
            assertClose(ref.toNDArray("masked/last_hidden_state", m), masked.lastHiddenState(), "masked/last_hidden_state");
            assertClose(ref.toNDArray("masked/pooler_output", m), masked.pooled(), "masked/pooler_output");
        }
    }

    @Test
    void aSavedEncoderLoadsBackIdentical(@TempDir Path tmp) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); ClipTextModel model = ClipTextFolder.load(FIXTURE.resolve("text_encoder"), m)) {
            ClipTextFolder.save(model, tmp);
            try (ClipTextModel back = ClipTextFolder.load(tmp, m)) {
                assertEquals(model.config(), back.config());
                NDArray ids = m.create(new long[] {593, 320, 582, 547, 594, 594}).reshape(1, 6);
                assertArrayEquals(model.forward(ids).lastHiddenState().toFloatArray(), back.forward(ids).lastHiddenState().toFloatArray());
            }
        }
    }

    @Test
    void weightsThatDoNotMatchTheConfigAreRefusedListingThem(@TempDir Path tmp) throws IOException {
        Files.copy(FIXTURE.resolve("text_encoder/model.safetensors"), tmp.resolve("model.safetensors"));
        Files.writeString(tmp.resolve("config.json"), Files.readString(FIXTURE.resolve("text_encoder/config.json"))
                .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        try (NDManager m = NDManager.newBaseManager()) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> ClipTextFolder.load(tmp, m));
            assertTrue(e.getMessage().contains("text_model.encoder.layers.2"), e.getMessage());
        }
    }

    /** Compares every recorded activation with the fixture's {@code act/NAME} tensor of the same name; returns how many. */
    static int assertIntermediates(SafeTensors acts, Map<String, NDArray> recorded, NDManager m) {
        int checked = 0;
        for (String key : acts.names()) {
            String name = key.substring("act/".length());
            if (recorded.containsKey(name)) {
                assertClose(acts.toNDArray(key, m), recorded.get(name), name);
                checked++;
            }
        }
        return checked;
    }

    static void assertClose(NDArray expected, NDArray actual, String what) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + " shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double max = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i] - a[i]));
        }
        assertTrue(max < TOLERANCE, what + ": max abs error " + max);
    }
}
