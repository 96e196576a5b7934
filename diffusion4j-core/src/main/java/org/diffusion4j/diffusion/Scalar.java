package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A 0-d tensor in memory that libtorch owns, for multiplying or dividing by a constant wherever
 * autograd may record the operation: {@code x.mul(Scalar.of(x, s))}, never {@code x.mul(s)}.
 *
 * <p>DJL's {@code x.mul(Number)} multiplies by a temporary tensor over a Java direct buffer and
 * closes it at once; autograd keeps that tensor for the backward pass (∂(s·x)/∂x = s), and once
 * the garbage collector has freed the buffer the backward pass reads freed memory —
 * non-deterministic, even NaN gradients. A libtorch-owned copy lives as long as autograd holds it.
 * The value has the type DJL's {@code Number} form would have used for {@code like} (float32 for
 * float32 tensors), so results are bit-identical. {@code AutogradNumberOperandTest} forbids the
 * {@code Number} forms in the packages where autograd records.
 */
public final class Scalar {

    private Scalar() {}

    /** {@code value} as a 0-d tensor of {@code like}'s floating type, in {@code like}'s manager. */
    public static NDArray of(NDArray like, double value) {
        try (NDArray temporary = like.getDataType() == DataType.FLOAT64
                ? like.getManager().create(value)
                : like.getManager().create((float) value)) {
            return temporary.duplicate();
        }
    }

    /** x · s. */
    public static NDArray times(NDArray x, double s) {
        return x.mul(of(x, s));
    }

    /** x / s. */
    public static NDArray divide(NDArray x, double s) {
        return x.div(of(x, s));
    }
}
