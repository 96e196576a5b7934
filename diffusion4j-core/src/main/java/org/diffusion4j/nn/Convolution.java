package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The project's one 2-D convolution (PyTorch's {@code F.conv2d} with one group and no dilation),
 * correct on every x86 CPU.
 *
 * <p>libtorch 2.7.1 runs float32 convolutions through oneDNN 3.7.1, which stores channels in blocks
 * of 16 (AVX-512) or 8 (AVX2). When a channel count leaves a block partly empty, some kernels read
 * the block's padding without having written it: the backward-data kernel with output channels
 * that are not a multiple of the block, and forward kernels for some input widths. Whatever stale
 * memory is there (NaN, old activations) then flows into results and gradients — run-to-run
 * different, NaN gradients, diverging training. {@code docs/convolution-audit.md} has the table of
 * affected configurations.
 *
 * <p>The stride-2 backward-data kernel ({@code brgconv_strided}) is wrong on its own, with no
 * uninitialised memory involved: for some input widths (48, 80, 112, … on AVX-512; 80, 176 on
 * AVX2) ∂L/∂x is off by 20–50 %, the same every run. Which widths depends on oneDNN's blocking
 * heuristics, which depend on the CPU's caches, so no width rule is safe.
 *
 * <p>This entry point therefore (1) never hands oneDNN a partly empty block: input and output
 * channel counts are zero-padded to a multiple of {@link #CHANNEL_BLOCK} (the input with zero
 * channels, the weight with zero rows and columns, the bias with zeros) and the output is sliced
 * back; the padded channels contribute exact zeros and autograd carries the padding and the slice,
 * so values and gradients are those of the unpadded convolution; and (2) when autograd will need
 * ∂L/∂x of a strided convolution, computes it at stride 1 and keeps every stride-th output (the
 * same values; the backward pass is then a stride-1 kernel), at the price of stride² more
 * multiply–adds for that convolution during training only. Channel counts that are already
 * multiples of 16 at stride 1, and every convolution at inference — most of a real network — go
 * straight to libtorch.
 */
public final class Convolution {

    /** oneDNN's float32 channel block on AVX-512; a multiple of AVX2's 8. */
    public static final int CHANNEL_BLOCK = 16;

    private static final Shape DILATION = new Shape(1, 1);

    private Convolution() {}

    /**
     * y = conv2d(x, weight, bias) with the same stride and zero padding on both spatial axes.
     *
     * @param x [N, C, H, W]
     * @param weight [O, C, k, k]
     * @param bias [O], or null for none
     * @return [N, O, H', W'] in {@code x}'s manager
     */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        if (stride > 1 && JniUtils.isGradMode() && JniUtils.requiresGrad(pt(x))) {
            NDArray y = blockPadded(x, weight, bias, 1, padding);
            return JniUtils.slice(pt(JniUtils.slice(pt(y), 2, 0, y.getShape().get(2), stride)), 3, 0,
                    y.getShape().get(3), stride);
        }
        return blockPadded(x, weight, bias, stride, padding);
    }

    private static NDArray blockPadded(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        long out = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        long outPad = blockPadding(out);
        long inPad = blockPadding(in);
        Shape strides = new Shape(stride, stride);
        Shape paddings = new Shape(padding, padding);
        if (outPad == 0 && inPad == 0) {
            return JniUtils.convolution(pt(x), pt(weight), bias == null ? null : pt(bias), strides, paddings, DILATION, 1);
        }
        // torch.nn.functional.pad order: last axis first, (before, after) per axis.
        NDArray paddedX = inPad == 0 ? x : JniUtils.pad(pt(x), new long[] {0, 0, 0, 0, 0, inPad}, 0);
        NDArray paddedW = JniUtils.pad(pt(weight), new long[] {0, 0, 0, 0, 0, inPad, 0, outPad}, 0);
        NDArray paddedB = bias == null ? null : JniUtils.pad(pt(bias), new long[] {0, outPad}, 0);
        paddedW.attach(x.getManager()); // results of ops on parameters belong to the model's manager
        if (paddedB != null) {
            paddedB.attach(x.getManager());
        }
        NDArray y = JniUtils.convolution(pt(paddedX), pt(paddedW), paddedB == null ? null : pt(paddedB), strides, paddings, DILATION, 1);
        return outPad == 0 ? y : JniUtils.slice(pt(y), 1, 0, out, 1);
    }

    /** Channels to add to {@code channels} to reach a multiple of {@link #CHANNEL_BLOCK}. */
    static long blockPadding(long channels) {
        return (CHANNEL_BLOCK - channels % CHANNEL_BLOCK) % CHANNEL_BLOCK;
    }

    private static PtNDArray pt(NDArray a) {
        return (PtNDArray) a;
    }
}
