package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2) on named NDArrays, updating the parameters in
 * place, with PyTorch's {@code torch.optim.AdamW} arithmetic: at update t = 1, 2, …
 *
 * <pre>
 *   θ ← θ (1 − η λ)                         decoupled weight decay
 *   m ← β₁ m + (1 − β₁) g                   first moment
 *   v ← β₂ v + (1 − β₂) g²                  second moment
 *   θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 * </pre>
 *
 * The moments live in the manager given at construction, next to the parameters; every temporary of
 * an update lives in the per-step manager passed to {@link #update}. Not thread-safe.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
    private long updates;

    /**
     * Zero moments for every parameter, created in {@code manager}.
     *
     * @throws IllegalArgumentException when a hyper-parameter is out of range
     */
    public AdamW(Map<String, NDArray> parameters, NDManager manager, double beta1, double beta2, double epsilon,
            double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(epsilon > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW needs epsilon > 0 and weight_decay >= 0, got " + epsilon + ", "
                    + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            firstMoments.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType()));
            secondMoments.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType()));
        }
    }

    /**
     * One AdamW update of every parameter with its gradient, in place.
     *
     * @param parameters the parameters by name (the same names as at construction)
     * @param gradients their gradients by name
     * @param learningRate η for this update
     * @param step the per-step manager that owns every temporary
     */
    public void update(Map<String, NDArray> parameters, Map<String, NDArray> gradients, double learningRate,
            NDManager step) {
        updates++;
        double biasCorrection1 = 1 - Math.pow(beta1, updates);
        double biasCorrection2 = 1 - Math.pow(beta2, updates);
        double stepSize = learningRate / biasCorrection1;
        double sqrtBiasCorrection2 = Math.sqrt(biasCorrection2);
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            String name = e.getKey();
            NDArray theta = e.getValue();
            NDArray g = gradients.get(name);
            NDArray m = firstMoments.get(name);
            NDArray v = secondMoments.get(name);
            if (g == null || m == null) {
                throw new IllegalArgumentException("no gradient or moment for parameter \"" + name + "\"");
            }
            if (weightDecay != 0) {
                theta.muli(1 - learningRate * weightDecay);
            }
            m.muli(beta1).addi(scoped(g.mul(1 - beta1), step));
            v.muli(beta2).addi(scoped(g.mul(g), step).muli(1 - beta2));
            NDArray denominator = scoped(v.sqrt(), step).divi(sqrtBiasCorrection2).addi(epsilon);
            theta.subi(scoped(m.div(denominator), step).muli(stepSize));
        }
    }

    private static NDArray scoped(NDArray a, NDManager step) {
        a.attach(step);
        return a;
    }

    /** The number of updates done (t in the bias corrections). */
    public long updates() {
        return updates;
    }

    /** m by parameter name (live arrays). */
    public Map<String, NDArray> firstMoments() {
        return Collections.unmodifiableMap(firstMoments);
    }

    /** v by parameter name (live arrays). */
    public Map<String, NDArray> secondMoments() {
        return Collections.unmodifiableMap(secondMoments);
    }

    /** Restores the state of a checkpoint: the update count and the moments' values (copied in place). */
    public void restore(long updateCount, Map<String, float[]> first, Map<String, float[]> second) {
        if (updateCount < 0) {
            throw new IllegalArgumentException("update count must be >= 0, got " + updateCount);
        }
        TensorMaps.copyInto(firstMoments, first, "AdamW first moment");
        TensorMaps.copyInto(secondMoments, second, "AdamW second moment");
        updates = updateCount;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double epsilon() {
        return epsilon;
    }

    public double weightDecay() {
        return weightDecay;
    }
}
