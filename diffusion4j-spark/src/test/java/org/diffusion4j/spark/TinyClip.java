package org.diffusion4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.diffusion4j.diffusers.ClipModelFiles;
import org.diffusion4j.diffusers.ClipTextFolder;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.nn.ClipBpeLearner;
import org.diffusion4j.nn.ClipModel;
import org.diffusion4j.nn.ClipTextConfig;
import org.diffusion4j.nn.ClipTokenizer;
import org.diffusion4j.pipeline.ShapesEvaluation;

/** A random train-clip folder (tokenizer learnt on the shapes evaluation prompts, a 1-layer 16-wide text encoder, a 32-wide image encoder): fast. */
final class TinyClip {

    private TinyClip() {}

    static Path create(Path root) throws IOException {
        ClipBpeLearner.Vocabulary v = ClipBpeLearner.learn(ShapesEvaluation.promptsPerImage(1, 42), 49408);
        int context = 16;
        int width = 16;
        ClipTokenizer tokenizer = new ClipTokenizer(v.vocab(), v.merges(), context, ClipTokenizer.END);
        ClipTextConfig config = new ClipTextConfig(v.vocab().size(), width, 2 * width, 1, 4, context, 1e-5, "quick_gelu",
                tokenizer.endId());
        try (NDManager m = NDManager.newBaseManager(); ClipModel model = new ClipModel(config, 3, 32, width, m, 3)) {
            ClipTokenizerFolder.save(root.resolve("tokenizer"), v.vocab(), v.merges(), context);
            ClipTextFolder.save(model.textModel(), root.resolve("text_encoder"));
            ClipModelFiles.save(model, 3, 32, root);
        }
        return root;
    }
}
