package org.diffusion4j.diffusers;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.nn.ClipTextModel;
import org.diffusion4j.nn.ClipTokenizer;
import org.diffusion4j.nn.UNet2DConditionModel;

/**
 * A diffusers {@code StableDiffusionPipeline} folder: {@code model_index.json}, {@code tokenizer/} (CLIPTokenizer),
 * {@code text_encoder/} (CLIPTextModel), {@code unet/} (UNet2DConditionModel), {@code scheduler/} and {@code vae/}
 * (AutoencoderKL, or {@code [null, null]} in the index for a model that diffuses pixels). Safety checker, feature
 * extractor and image encoder are not used.
 */
public final class StableDiffusionFolder {

    /** The {@code _class_name} of such a folder's {@code model_index.json}. */
    public static final String CLASS_NAME = "StableDiffusionPipeline";

    /** The loaded parts; {@code vae} is null for a pixel-space model. Closing closes the networks. */
    public record Parts(ClipTokenizer tokenizer, ClipTextModel textEncoder, UNet2DConditionModel unet, AutoencoderKL vae)
            implements AutoCloseable {
        @Override
        public void close() {
            textEncoder.close();
            unet.close();
            if (vae != null) {
                vae.close();
            }
        }
    }

    private StableDiffusionFolder() {}

    /** Whether {@code dir/model_index.json} names a StableDiffusionPipeline. */
    public static boolean isStableDiffusion(Path dir) throws IOException {
        Path index = dir.resolve(ModelFolder.MODEL_INDEX);
        if (!Files.isRegularFile(index) || Files.size(index) > ModelFolder.MAX_MODEL_INDEX_BYTES) {
            return false;
        }
        JsonFields f = JsonFields.parse(Files.readString(index, StandardCharsets.UTF_8), index.toString());
        return CLASS_NAME.equals(f.nullableString("_class_name", null));
    }

    /** Loads the parts of the StableDiffusionPipeline folder {@code dir} into sub-managers of {@code manager}. */
    public static Parts load(Path dir, NDManager manager) throws IOException {
        Path index = dir.resolve(ModelFolder.MODEL_INDEX);
        JsonFields f = JsonFields.parse(Files.readString(index, StandardCharsets.UTF_8), index.toString());
        for (String part : new String[] {"tokenizer", "text_encoder", "unet", "scheduler"}) {
            if (!present(f, part)) {
                throw new IOException(index + ": the pipeline has no \"" + part + "\"; a StableDiffusionPipeline needs tokenizer, "
                        + "text_encoder, unet and scheduler");
            }
        }
        ClipTokenizer tokenizer = ClipTokenizerFolder.load(dir.resolve("tokenizer"));
        ClipTextModel encoder = ClipTextFolder.load(dir.resolve("text_encoder"), manager);
        UNet2DConditionModel unet = null;
        try {
            unet = UNet2DConditionFolder.load(dir.resolve("unet"), manager);
            AutoencoderKL vae = present(f, "vae") ? AutoencoderKLFolder.load(dir.resolve("vae"), manager) : null;
            if (unet.config().crossAttentionDim() != encoder.config().hiddenSize()) {
                throw new IOException(dir + ": unet/config.json has cross_attention_dim " + unet.config().crossAttentionDim()
                        + " but the text encoder's hidden_size is " + encoder.config().hiddenSize() + "; they must be equal");
            }
            if (vae != null && vae.config().latentChannels() != unet.config().inChannels()) {
                throw new IOException(dir + ": the U-Net takes " + unet.config().inChannels() + " channels but the VAE makes "
                        + vae.config().latentChannels() + " latent channels");
            }
            return new Parts(tokenizer, encoder, unet, vae);
        } catch (IOException | RuntimeException e) {
            encoder.close();
            if (unet != null) {
                unet.close();
            }
            throw e;
        }
    }

    /** Whether the index names a component (an entry that is not {@code [null, null]}). */
    private static boolean present(JsonFields f, String part) {
        JsonElement e = f.json().get(part);
        return e != null && e.isJsonArray() && e.getAsJsonArray().size() == 2 && !e.getAsJsonArray().get(0).isJsonNull();
    }
}
