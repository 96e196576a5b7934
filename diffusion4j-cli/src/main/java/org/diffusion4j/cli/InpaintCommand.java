package org.diffusion4j.cli;

import java.nio.file.Path;
import org.diffusion4j.data.DatasetException;
import org.diffusion4j.data.ImageFiles;
import org.diffusion4j.pipeline.ImageEdit;
import org.diffusion4j.pipeline.Masks;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffusion4j inpaint}: repaint a masked region, by RePaint (Lugmayr et al. 2022) or mask-blend. */
@Command(name = "inpaint", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Repaint part of an image so that it fits the rest.",
            "",
            "  diffusion4j inpaint --image shirt.png --box 7,7,14,14 --class shirt",
            "  diffusion4j inpaint --image photo.png --mask mask.png --method blend --sampler dpm-solver++ --steps 20",
            ""})
final class InpaintCommand extends EditingCommand {

    /** Exactly one way to say where to repaint. */
    static final class Region {
        @Option(names = "--mask", paramLabel = "FILE",
                description = "8-bit mask PNG: white = repaint, black = keep (diffusers' convention); resized to the model's size.")
        Path mask;

        @Option(names = "--box", paramLabel = "x,y,w,h", description = "Repaint this rectangle (pixels of the model's image, from the top left).")
        String box;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Region region;

    @Option(names = "--method", defaultValue = "repaint", paramLabel = "repaint|blend",
            description = {"repaint: RePaint, DDPM steps with resampling jumps (Lugmayr et al. 2022; sampler ddpm or ddim); "
                    + "blend: put the noised original back after every step (any of ddpm, ddim, euler, heun, dpm-solver++) "
                    + "(default: ${DEFAULT-VALUE})."})
    String method;

    @Option(names = "--jump-length", defaultValue = "10", paramLabel = "L", description = "RePaint: levels per jump back (default: ${DEFAULT-VALUE}).")
    int jumpLength;

    @Option(names = "--jump-n-sample", defaultValue = "10", paramLabel = "R",
            description = "RePaint: times each stretch is resampled; 1 = no resampling (default: ${DEFAULT-VALUE}).")
    int jumpNSample;

    @Override
    ImageEdit edit(float[] original, long[] shape) {
        float[] mask;
        if (region.mask != null) {
            try {
                mask = ImageFiles.readMask(region.mask, (int) shape[2], (int) shape[3]);
            } catch (DatasetException e) {
                throw new IllegalArgumentException("--mask " + e.getMessage(), e);
            }
        } else {
            mask = Masks.box((int) shape[2], (int) shape[3], region.box);
        }
        return switch (ImageEdit.Method.parse(method)) {
            case REPAINT -> ImageEdit.repaint(original, shape, mask, jumpLength, jumpNSample);
            case BLEND -> ImageEdit.blend(original, shape, mask);
            case SDEDIT -> throw new IllegalArgumentException("--method sdedit: use the edit command for SDEdit");
        };
    }

    /** RePaint is DDPM's: ddpm unless --sampler says otherwise. */
    @Override
    String defaultSampler() {
        return ImageEdit.Method.parse(method) == ImageEdit.Method.REPAINT ? "ddpm" : null;
    }

    /** 50 steps (or T if fewer) for every method: RePaint's DDPM would otherwise take T. */
    @Override
    Integer defaultSteps(int numTrainTimesteps) {
        return Math.min(50, numTrainTimesteps);
    }

    @Override
    String describe(ImageEdit edit) {
        return edit.method() == ImageEdit.Method.REPAINT
                ? "RePaint (jump length " + edit.jumpLength() + ", " + edit.jumpNSample() + " samples per jump)" : "mask-blend inpainting";
    }
}
