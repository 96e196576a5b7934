package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Where a layer gets each of its parameters, by its diffusers state-dict name: freshly initialised
 * ({@link Init}), taken from loaded weights, or only recorded (to learn the shapes of a
 * configuration without allocating anything, in which case it returns null).
 */
@FunctionalInterface
interface ParameterFactory {

    NDArray create(String name, Shape shape, Init init);

    /** {@code source}, recording every parameter it makes into {@code into} by name (a network's state dict). */
    static ParameterFactory recording(ParameterFactory source, java.util.Map<String, NDArray> into) {
        return (name, shape, init) -> {
            NDArray a = source.create(name, shape, init);
            into.put(name, a);
            return a;
        };
    }

    /**
     * A network built in a new sub-manager of {@code manager} from parameters made by {@code fetch(name, own)}
     * (converted to float32); the sub-manager is closed if the construction fails.
     */
    static <M> M loaded(NDManager manager, java.util.function.BiFunction<String, NDManager, NDArray> fetch,
            java.util.function.BiFunction<NDManager, ParameterFactory, M> construct) {
        NDManager own = manager.newSubManager();
        try {
            return construct.apply(own, (name, shape, init) -> {
                NDArray a = fetch.apply(name, own);
                return a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
            });
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * A network built in a new sub-manager of {@code manager} with PyTorch's default initialisation drawn from a generator
     * seeded with {@code seed}, every parameter recording gradients (for training); the sub-manager is closed if the
     * construction fails.
     */
    static <M> M trainable(NDManager manager, long seed, java.util.function.BiFunction<NDManager, ParameterFactory, M> construct) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        NDManager own = manager.newSubManager();
        try {
            return construct.apply(own, (name, shape, init) -> {
                NDArray a = own.create(init.values(Math.toIntExact(shape.size()), rng), shape);
                a.setRequiresGradient(true);
                return a;
            });
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /** PyTorch's default initialisation of a parameter. */
    record Init(Kind kind, double bound) {
        enum Kind { UNIFORM, ONES, ZEROS, NORMAL }

        /**
         * U(-bound, bound). With bound = 1/sqrt(fan_in) this is both PyTorch's default weight
         * init of Conv2d/Linear (kaiming_uniform_ with a = sqrt(5)) and their bias init.
         */
        static Init uniform(double bound) {
            return new Init(Kind.UNIFORM, bound);
        }

        /** n initial values drawn from {@code rng} (N(0, 1) for {@link #NORMAL}). */
        float[] values(int n, java.util.SplittableRandom rng) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = switch (kind) {
                    case UNIFORM -> (float) ((2 * rng.nextDouble() - 1) * bound);
                    case ONES -> 1f;
                    case ZEROS -> 0f;
                    case NORMAL -> (float) rng.nextGaussian();
                };
            }
            return v;
        }

        static final Init ONES = new Init(Kind.ONES, 0);
        static final Init ZEROS = new Init(Kind.ZEROS, 0);
        /** N(0, 1), PyTorch's default for nn.Embedding. */
        static final Init NORMAL = new Init(Kind.NORMAL, 0);
    }
}
