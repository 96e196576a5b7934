package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.io.SafeTensors;

/**
 * A recorded noise sequence replayed as a {@link NoiseSource}: draw {@code i} is slice {@code i} of a
 * {@code [K, ...]} tensor, e.g. the {@code <loop>/noise} tensors of the diffusers fixtures
 * ({@code [K, N, C, H, W]}, draw i injected at loop step i). Holds a private float copy, so it is
 * immutable, thread-safe and independent of any NDManager.
 */
public final class StoredNoise implements NoiseSource {

    private final float[] values;
    private final Shape drawShape;
    private final int count;
    private final String origin;

    private StoredNoise(float[] values, Shape drawShape, int count, String origin) {
        this.values = values;
        this.drawShape = drawShape;
        this.count = count;
        this.origin = origin;
    }

    /** Replays the slices along axis 0 of {@code draws} (copied). */
    public static StoredNoise of(NDArray draws) {
        Shape s = draws.getShape();
        if (s.dimension() < 1 || s.get(0) < 1) {
            throw new IllegalArgumentException("stored noise needs shape [K, ...] with K ≥ 1, got " + s);
        }
        return new StoredNoise(draws.toFloatArray(), s.slice(1), Math.toIntExact(s.get(0)), "stored noise " + s);
    }

    /** Replays tensor {@code name} of a safetensors file. */
    public static StoredNoise read(Path file, String name) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        SafeTensors.TensorInfo info = st.info(name);
        long[] shape = info.shape();
        if (shape.length < 1 || shape[0] < 1) {
            throw new IllegalArgumentException(file + ": tensor \"" + name + "\" needs shape [K, ...] with K ≥ 1, got "
                    + Arrays.toString(shape));
        }
        return new StoredNoise(st.floats(name), new Shape(Arrays.copyOfRange(shape, 1, shape.length)),
                Math.toIntExact(shape[0]), file + " \"" + name + "\"");
    }

    /** K, the number of stored draws. */
    public int count() {
        return count;
    }

    /** The shape of one draw. */
    public Shape drawShape() {
        return drawShape;
    }

    @Override
    public NDArray normal(NDManager manager, Shape shape, long index) {
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("noise draw " + index + " requested but " + origin + " holds only "
                    + count + " draws (0.." + (count - 1) + ")");
        }
        if (!shape.equals(drawShape)) {
            throw new IllegalArgumentException("noise of shape " + shape + " requested but " + origin
                    + " holds draws of shape " + drawShape);
        }
        int per = Math.toIntExact(drawShape.size());
        int from = Math.toIntExact(index) * per;
        return manager.create(Arrays.copyOfRange(values, from, from + per), drawShape);
    }
}
