package org.diffusion4j.cli;

import java.util.Locale;
import org.diffusion4j.pipeline.ImageEdit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffusion4j edit}: SDEdit (Meng et al. 2022) — noise an image to strength·T and denoise it with the model. */
@Command(name = "edit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Edit an image with SDEdit: noise it part of the way and let the model denoise it (img2img).",
            "",
            "  diffusion4j edit --image blob.png --strength 0.6 --class sneaker",
            "  diffusion4j edit --model models/shapes-t2i --image drawing.png --prompt \"a red circle\" --strength 0.7",
            ""})
final class EditCommand extends EditingCommand {

    @Option(names = "--strength", defaultValue = "0.6", paramLabel = "S",
            description = {"How far into the noise the image goes, in (0, 1]: low keeps it (faithful), high lets the model "
                    + "redraw it (realistic); runs the last floor(steps * S) steps, as diffusers' img2img (default: ${DEFAULT-VALUE})."})
    double strength;

    @Override
    ImageEdit edit(float[] original, long[] shape) {
        return ImageEdit.sdEdit(original, shape, strength);
    }

    @Override
    String describe(ImageEdit edit) {
        return String.format(Locale.ROOT, "SDEdit at strength %s", edit.strength());
    }
}
