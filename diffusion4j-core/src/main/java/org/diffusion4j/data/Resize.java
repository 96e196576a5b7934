package org.diffusion4j.data;

/**
 * Separable bilinear resampling of uint8 planes with antialiasing when shrinking: the triangle
 * filter is widened by the scale factor, as PIL's {@code Image.resize(..., BILINEAR)} does (so a
 * 2&times; reduction weighs 4 source pixels per axis by 1/8, 3/8, 3/8, 1/8, renormalised at the
 * borders). Pixel centres are at half-integers
 * ({@code align_corners=False}); the intermediate pass is kept in float and rounded once at the end.
 */
final class Resize {
    private Resize() {
    }

    /** Resizes {@code channels} planes of {@code height x width} to {@code outHeight x outWidth}. */
    static byte[] bilinear(byte[] src, int channels, int height, int width, int outHeight, int outWidth) {
        if (height == outHeight && width == outWidth) {
            return src;
        }
        Kernel kx = new Kernel(width, outWidth);
        Kernel ky = new Kernel(height, outHeight);
        byte[] out = new byte[channels * outHeight * outWidth];
        float[] rows = new float[height * outWidth];
        for (int c = 0; c < channels; c++) {
            int plane = c * height * width;
            for (int y = 0; y < height; y++) { // horizontal pass: height x outWidth
                for (int x = 0; x < outWidth; x++) {
                    double acc = 0;
                    for (int k = 0; k < kx.count[x]; k++) {
                        acc += kx.weight[x][k] * (src[plane + y * width + kx.start[x] + k] & 0xff);
                    }
                    rows[y * outWidth + x] = (float) acc;
                }
            }
            int outPlane = c * outHeight * outWidth;
            for (int y = 0; y < outHeight; y++) { // vertical pass: outHeight x outWidth
                for (int x = 0; x < outWidth; x++) {
                    double acc = 0;
                    for (int k = 0; k < ky.count[y]; k++) {
                        acc += ky.weight[y][k] * rows[(ky.start[y] + k) * outWidth + x];
                    }
                    out[outPlane + y * outWidth + x] = (byte) Math.max(0, Math.min(255, Math.round(acc)));
                }
            }
        }
        return out;
    }

    /** Normalised triangle-filter weights for each output coordinate along one axis. */
    private static final class Kernel {
        final int[] start;
        final int[] count;
        final double[][] weight;

        Kernel(int in, int out) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale; // the triangle filter has support 1, widened when shrinking
            start = new int[out];
            count = new int[out];
            weight = new double[out][];
            for (int i = 0; i < out; i++) {
                double center = (i + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(center - support + 0.5));
                int hi = Math.min(in, (int) Math.floor(center + support + 0.5));
                double[] w = new double[Math.max(1, hi - lo)];
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    double t = (j + 0.5 - center) / filterScale;
                    w[j - lo] = Math.max(0, 1 - Math.abs(t));
                    sum += w[j - lo];
                }
                if (sum == 0) { // cannot happen for in >= 1, kept as a guard
                    lo = Math.min(lo, in - 1);
                    w = new double[] {1};
                    hi = lo + 1;
                    sum = 1;
                }
                for (int k = 0; k < w.length; k++) {
                    w[k] /= sum;
                }
                start[i] = lo;
                count[i] = hi - lo;
                weight[i] = w;
            }
        }
    }
}
