package org.diffusion4j.pipeline;

import java.util.Locale;

/** Inpainting masks made from a description: H·W floats, 1 = repaint, 0 = keep (diffusers' convention, white = repaint). */
public final class Masks {

    private Masks() {}

    /**
     * The rectangle at ({@code x}, {@code y}) of {@code w} × {@code h} pixels, from {@code --box x,y,w,h}.
     *
     * @throws IllegalArgumentException for a box that is empty, leaves the image, or covers all of it
     */
    public static float[] box(int height, int width, int x, int y, int w, int h) {
        if (w < 1 || h < 1 || x < 0 || y < 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--box %d,%d,%d,%d (x,y,w,h) must lie inside the "
                    + "%dx%d image and be at least 1x1", x, y, w, h, width, height));
        }
        if (w == width && h == height) {
            throw new IllegalArgumentException("--box covers the whole image: nothing would be kept; use sample instead");
        }
        float[] mask = new float[height * width];
        for (int r = y; r < y + h; r++) {
            for (int c = x; c < x + w; c++) {
                mask[r * width + c] = 1f;
            }
        }
        return mask;
    }

    /** {@code --box} as written, "x,y,w,h". */
    public static float[] box(int height, int width, String spec) {
        String[] parts = spec.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--box takes x,y,w,h (four integers, pixels from the top left), got \"" + spec + "\"");
        }
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--box takes x,y,w,h (four integers), got \"" + spec + "\"");
            }
        }
        return box(height, width, v[0], v[1], v[2], v[3]);
    }

    /**
     * A named region, as the editing evaluation uses: {@code centre} (the middle half of each side), {@code left},
     * {@code right}, {@code top} or {@code bottom} (that half of the image).
     */
    public static float[] named(int height, int width, String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "centre", "center" -> box(height, width, width / 4, height / 4, width - 2 * (width / 4), height - 2 * (height / 4));
            case "left" -> box(height, width, 0, 0, width / 2, height);
            case "right" -> box(height, width, width / 2, 0, width - width / 2, height);
            case "top" -> box(height, width, 0, 0, width, height / 2);
            case "bottom" -> box(height, width, 0, height / 2, width, height - height / 2);
            default -> throw new IllegalArgumentException("--mask-region " + name + ": use centre, left, right, top or bottom");
        };
    }
}
