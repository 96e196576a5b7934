package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;

/** The first images' x₀ estimate (or x_t) at evenly spaced steps of the first batch: the frames of {@code --trajectory}. */
final class Trajectory {
    private final int images;
    private final int maxFrames;
    private final boolean predictedX0;
    private final List<float[]> frames = new ArrayList<>();

    Trajectory(int images, int maxFrames, boolean predictedX0) {
        this.images = images;
        this.maxFrames = maxFrames;
        this.predictedX0 = predictedX0;
    }

    int images() {
        return images;
    }

    List<float[]> frames() {
        return frames;
    }

    /** Whether step {@code step} of {@code total} is one of the (at most maxFrames) shown. */
    boolean shows(int step, int total) {
        if (total <= maxFrames || step == total - 1) {
            return true;
        }
        // step k is shown if it is the nearest step to one of maxFrames evenly spaced positions
        for (int j = 0; j < maxFrames; j++) {
            if (Math.round((double) j * (total - 1) / (maxFrames - 1)) == step) {
                return true;
            }
        }
        return false;
    }

    /** Keeps step {@code step} of the first batch if it is one of the frames shown. */
    void capture(int batch, int step, int total, NDArray x, NDArray x0) {
        if (batch != 0 || !shows(step, total)) {
            return;
        }
        NDArray src = predictedX0 && x0 != null ? x0 : x;
        frames.add(src.get(new NDIndex("0:{}", images)).toFloatArray());
    }
}
