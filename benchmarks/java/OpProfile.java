
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/**
 * Per-op cost of the U-Net's building blocks as the nn package computes them through DJL (forward,
 * and forward + backward), at the shapes of the fashion-mnist model at batch 128; the same ops in
 * PyTorch are timed by benchmarks/op_profile.py. Run: benchmarks/java/run OpProfile [iters]
 */
public final class OpProfile {
    static final Shape ONE = new Shape(1, 1);
    static final Shape PAD = new Shape(1, 1);

    static PtNDArray pt(NDArray a) {
        return (PtNDArray) a;
    }

    /** nn's GroupNorm: layer_norm over the [N, G, C/G·H·W] view with ones/zeros, then per-channel γ, β. */
    static NDArray groupNormComposite(NDArray x, NDArray gamma, NDArray beta, int groups) {
        Shape s = x.getShape();
        long n = s.get(0);
        long perGroup = s.size() / n / groups;
        NDManager m = x.getManager();
        Shape g = new Shape(perGroup);
        NDArray normalized = JniUtils.layerNorm(pt(x.reshape(n, groups, perGroup)), g, pt(m.ones(g)), pt(m.zeros(g)), 1e-5)
                .reshape(s);
        return normalized.mul(gamma.reshape(s.get(1), 1, 1)).add(beta.reshape(s.get(1), 1, 1));
    }

    /** GroupNorm as batch_norm in training mode over the [1, N·G, C/G·H·W] view (PyTorch's old reference implementation). */
    static NDArray groupNormBatchNorm(NDArray x, NDArray gamma, NDArray beta, int groups) {
        Shape s = x.getShape();
        long n = s.get(0);
        NDManager m = x.getManager();
        Shape ng = new Shape(n * groups);
        NDArray normalized = JniUtils.batchNorm(pt(x.reshape(1, n * groups, -1)), pt(m.zeros(ng)), pt(m.ones(ng)),
                pt(m.ones(ng)), pt(m.zeros(ng)), true, 0.1, 1e-5).reshape(s);
        return normalized.mul(gamma.reshape(s.get(1), 1, 1)).add(beta.reshape(s.get(1), 1, 1));
    }

    static NDArray silu(NDArray x) {
        return x.mul(JniUtils.sigmoid(pt(x)));
    }

    static double[] time(NDManager root, Shape shape, int iters, Function<NDArray, NDArray> op) {
        double[] fwd = new double[iters];
        double[] both = new double[iters];
        for (int i = 0; i < iters + 2; i++) {
            try (NDManager sub = root.newSubManager()) {
                NDArray x = sub.randomNormal(shape);
                long t0 = System.nanoTime();
                op.apply(x).toFloatArray();
                long t1 = System.nanoTime();
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(op.apply(x).sum());
                }
                x.getGradient().attach(sub);
                long t2 = System.nanoTime();
                if (i >= 2) {
                    fwd[i - 2] = (t1 - t0) / 1e6;
                    both[i - 2] = (t2 - t1) / 1e6;
                }
            }
        }
        Arrays.sort(fwd);
        Arrays.sort(both);
        return new double[] {fwd[iters / 2], both[iters / 2]};
    }

    public static void main(String[] args) {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w32 = m.randomNormal(new Shape(32, 32, 3, 3)).mul(0.05);
            NDArray w64 = m.randomNormal(new Shape(64, 64, 3, 3)).mul(0.05);
            NDArray b32 = m.zeros(new Shape(32));
            NDArray b64 = m.zeros(new Shape(64));
            NDArray g32 = m.ones(new Shape(32));
            NDArray g64 = m.ones(new Shape(64));
            NDArray wqkv = m.randomNormal(new Shape(64, 64)).mul(0.1);
            NDArray bqkv = m.zeros(new Shape(64));
            Shape s28 = new Shape(128, 32, 28, 28);
            Shape s14 = new Shape(128, 64, 14, 14);
            Shape s7 = new Shape(128, 64, 7, 7);
            report("conv3x3 32ch 28x28", time(m, s28, iters, x -> JniUtils.convolution(pt(x), pt(w32), pt(b32), ONE, PAD, ONE, 1)));
            report("conv3x3 64ch 14x14", time(m, s14, iters, x -> JniUtils.convolution(pt(x), pt(w64), pt(b64), ONE, PAD, ONE, 1)));
            report("groupnorm(nn) 32ch 28x28", time(m, s28, iters, x -> groupNormComposite(x, g32, b32, 8)));
            report("groupnorm(bn) 32ch 28x28", time(m, s28, iters, x -> groupNormBatchNorm(x, g32, b32, 8)));
            report("groupnorm(nn) 64ch 14x14", time(m, s14, iters, x -> groupNormComposite(x, g64, b64, 8)));
            report("silu(x*sigmoid) 32ch 28x28", time(m, s28, iters, OpProfile::silu));
            report("attention 64ch 7x7 1 head", time(m, s7, iters, x -> {
                long n = 128;
                NDArray h = x.reshape(n, 64, 49).transpose(0, 2, 1);
                NDArray q = JniUtils.linear(pt(h), pt(wqkv), pt(bqkv));
                NDArray k = JniUtils.linear(pt(h), pt(wqkv), pt(bqkv));
                NDArray v = JniUtils.linear(pt(h), pt(wqkv), pt(bqkv));
                NDArray wts = q.mul(x.getManager().create(0.125f)).matMul(k.transpose(0, 2, 1)).softmax(-1);
                NDArray o = JniUtils.linear(pt(wts.matMul(v)), pt(wqkv), pt(bqkv));
                return o.transpose(0, 2, 1).reshape(x.getShape()).add(x);
            }));
        }
    }

    static void report(String name, double[] t) {
        System.out.printf(Locale.ROOT, "%-28s forward %7.1f ms   forward+backward %7.1f ms%n", name, t[0], t[1]);
    }
}
