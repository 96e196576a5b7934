package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.Layers.Linear;

/**
 * The timestep embedding: diffusers' {@code Timesteps} (the sinusoidal position encoding of
 * Vaswani et al. 2017, Sec. 3.5, used for t by Ho et al. 2020, Appendix B) followed by
 * {@code TimestepEmbedding}: linear_1 → SiLU → linear_2.
 */
final class TimestepEmbedding {
    private static final double MAX_PERIOD = 10000;
    private final Linear linear1;
    private final Linear linear2;

    TimestepEmbedding(ParameterFactory p, String name, int in, int timeEmbedDim) {
        linear1 = new Linear(p, name + ".linear_1", in, timeEmbedDim);
        linear2 = new Linear(p, name + ".linear_2", timeEmbedDim, timeEmbedDim);
    }

    NDArray forward(NDArray timeProj) {
        return linear2.forward(Layers.silu(linear1.forward(timeProj)));
    }

    /**
     * diffusers' {@code get_timestep_embedding}: with half = dim / 2 and frequencies
     * f_k = exp(-ln(10000) · k / (half - freqShift)), k = 0..half-1, the embedding of t is
     * [sin(t f), cos(t f)] — or [cos(t f), sin(t f)] when {@code flipSinToCos} — padded with one
     * zero when dim is odd. Computed in float32 with libtorch's op order, as diffusers does.
     *
     * @param t the timesteps, one per batch element, already converted to float32
     * @return [N, dim] float32, owned by {@code manager}
     */
    static NDArray timeProj(NDManager manager, float[] t, int dim, boolean flipSinToCos, double freqShift) {
        int half = dim / 2;
        NDArray k = manager.arange(0f, (float) half, 1f, DataType.FLOAT32);
        NDArray exponent = Scalar.divide(Scalar.times(k, -Math.log(MAX_PERIOD)), half - freqShift);
        NDArray args = manager.create(t, new Shape(t.length, 1)).mul(exponent.exp().reshape(1, half));
        NDArray sin = args.sin();
        NDArray cos = args.cos();
        NDArray emb = flipSinToCos ? cos.concat(sin, 1) : sin.concat(cos, 1);
        return dim % 2 == 1 ? emb.concat(manager.zeros(new Shape(t.length, 1)), 1) : emb;
    }
}
