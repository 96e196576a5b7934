package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.diffusion4j.nn.Convolution;

/**
 * A test stand-in for the U-Net: conv 3×3 (C→F) + a time embedding (sin/cos of t → linear → F),
 * SiLU, dropout, conv 3×3 (F→C). Parameters named like a state dict, initialised from a seed.
 */
final class TinyConvModel implements TrainableModel {

    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final int channels;
    private final int features;
    private final double dropout;
    private final int numTimesteps;
    private boolean training;

    TinyConvModel(NDManager manager, int channels, int features, double dropout, int numTimesteps, long seed) {
        this.channels = channels;
        this.features = features;
        this.dropout = dropout;
        this.numTimesteps = numTimesteps;
        SplittableRandom r = new SplittableRandom(seed);
        add(manager, r, "conv_in.weight", 1 / Math.sqrt(channels * 9.0), features, channels, 3, 3);
        add(manager, r, "conv_in.bias", 1 / Math.sqrt(channels * 9.0), features);
        add(manager, r, "time_proj.weight", 1 / Math.sqrt(2.0), features, 2);
        add(manager, r, "time_proj.bias", 1 / Math.sqrt(2.0), features);
        add(manager, r, "conv_out.weight", 1 / Math.sqrt(features * 9.0), channels, features, 3, 3);
        add(manager, r, "conv_out.bias", 1 / Math.sqrt(features * 9.0), channels);
    }

    private void add(NDManager m, SplittableRandom r, String name, double bound, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        NDArray a = m.create(v, s);
        a.setName(name);
        parameters.put(name, a);
    }

    private static PtNDArray pt(NDArray a) {
        return (PtNDArray) a;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    @Override
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray classLabels) {
        NDArray h = Convolution.conv2d(sample, parameters.get("conv_in.weight"), parameters.get("conv_in.bias"), 1, 1);
        NDArray phase = timesteps.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).mul(Math.PI / numTimesteps)
                .reshape(-1, 1);
        NDArray features2 = phase.sin().concat(phase.cos(), 1);
        NDArray temb = JniUtils.linear(pt(features2), pt(parameters.get("time_proj.weight")),
                pt(parameters.get("time_proj.bias")));
        h = h.add(temb.reshape(-1, features, 1, 1));
        h = h.mul(JniUtils.sigmoid(pt(h)));
        if (training && dropout > 0) {
            h = JniUtils.dropout(pt(h), dropout, true);
        }
        return Convolution.conv2d(h, parameters.get("conv_out.weight"), parameters.get("conv_out.bias"), 1, 1);
    }

    @Override
    public void setTraining(boolean training) {
        this.training = training;
    }

    @Override
    public String configJson() {
        return "{\"_class_name\": \"TinyConvModel\", \"in_channels\": " + channels + ", \"features\": " + features + "}\n";
    }
}
