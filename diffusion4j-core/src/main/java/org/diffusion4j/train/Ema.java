package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exponential moving average of the parameters (Polyak averaging; Ho et al. 2020 sample from
 * EMA weights with decay 0.9999). Update n = 0, 1, … uses
 *
 * <pre>   d_n = min(decay, (1 + n)/(10 + n))   with warm-up,   d_n = decay   without,
 *   θ̄ ← θ̄ − (1 − d_n)(θ̄ − θ)          (= d_n θ̄ + (1 − d_n) θ, diffusers' EMAModel form)</pre>
 *
 * The warm-up lets the average forget the random initialisation early in short runs: d_0 = 0.1,
 * d_10 = 0.55, d_1000 ≈ 0.991. The shadow weights start as a copy of the parameters.
 */
public final class Ema {

    private final double decay;
    private final boolean warmup;
    private final Map<String, NDArray> shadow = new LinkedHashMap<>();
    private long updates;

    /** Copies {@code parameters} into new arrays of {@code manager}. */
    public Ema(Map<String, NDArray> parameters, NDManager manager, double decay, boolean warmup) {
        if (!(decay >= 0 && decay <= 1)) {
            throw new IllegalArgumentException("ema_decay must be in [0, 1], got " + decay);
        }
        this.decay = decay;
        this.warmup = warmup;
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray copy = e.getValue().duplicate();
            copy.attach(manager);
            copy.setName(e.getKey());
            shadow.put(e.getKey(), copy);
        }
    }

    /** The decay of update number {@code n} (0-based): min(decay, (1 + n)/(10 + n)) with warm-up. */
    public static double decayAt(long n, double decay, boolean warmup) {
        return warmup ? Math.min(decay, (1.0 + n) / (10.0 + n)) : decay;
    }

    /** The decay the next update will use. */
    public double nextDecay() {
        return decayAt(updates, decay, warmup);
    }

    /** θ̄ ← θ̄ − (1 − d)(θ̄ − θ) for every parameter; temporaries live in {@code step}. */
    public void update(Map<String, NDArray> parameters, NDManager step) {
        double oneMinusDecay = 1 - nextDecay();
        for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
            NDArray theta = parameters.get(e.getKey());
            NDArray diff = e.getValue().sub(theta);
            diff.attach(step);
            e.getValue().subi(diff.muli(oneMinusDecay));
        }
        updates++;
    }

    /** The averaged weights by name (live arrays). */
    public Map<String, NDArray> weights() {
        return Collections.unmodifiableMap(shadow);
    }

    /** The number of updates done. */
    public long updates() {
        return updates;
    }

    public double decay() {
        return decay;
    }

    public boolean warmup() {
        return warmup;
    }

    /** Restores a checkpoint's state: the update count and the averaged values (copied in place). */
    public void restore(long updateCount, Map<String, float[]> values) {
        if (updateCount < 0) {
            throw new IllegalArgumentException("EMA update count must be >= 0, got " + updateCount);
        }
        TensorMaps.copyInto(shadow, values, "EMA weights");
        updates = updateCount;
    }
}
