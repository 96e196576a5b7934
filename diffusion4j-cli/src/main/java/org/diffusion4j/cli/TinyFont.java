package org.diffusion4j.cli;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import java.util.Map;

/**
 * A 3×5 pixel font for labels on figures (digits, capital letters, t, x and a few signs). Drawn pixel by pixel,
 * so labels work on headless machines without any installed font.
 */
final class TinyFont {

    static final int GLYPH_WIDTH = 3;
    static final int GLYPH_HEIGHT = 5;

    /** Each glyph: five rows of three bits, most significant bit on the left. */
    private static final Map<Character, int[]> GLYPHS = Map.ofEntries(
            Map.entry('0', new int[] {7, 5, 5, 5, 7}),
            Map.entry('1', new int[] {2, 6, 2, 2, 7}),
            Map.entry('2', new int[] {7, 1, 7, 4, 7}),
            Map.entry('3', new int[] {7, 1, 3, 1, 7}),
            Map.entry('4', new int[] {5, 5, 7, 1, 1}),
            Map.entry('5', new int[] {7, 4, 7, 1, 7}),
            Map.entry('6', new int[] {7, 4, 7, 5, 7}),
            Map.entry('7', new int[] {7, 1, 2, 2, 2}),
            Map.entry('8', new int[] {7, 5, 7, 5, 7}),
            Map.entry('9', new int[] {7, 5, 7, 1, 7}),
            Map.entry('t', new int[] {2, 7, 2, 2, 3}),
            Map.entry('x', new int[] {0, 5, 2, 5, 0}),
            Map.entry('=', new int[] {0, 7, 0, 7, 0}),
            Map.entry('.', new int[] {0, 0, 0, 0, 2}),
            Map.entry('-', new int[] {0, 0, 7, 0, 0}),
            Map.entry(' ', new int[] {0, 0, 0, 0, 0}),
            Map.entry('/', new int[] {1, 1, 2, 4, 4}),
            Map.entry('?', new int[] {7, 1, 2, 0, 2}),
            Map.entry('A', new int[] {2, 5, 7, 5, 5}),
            Map.entry('B', new int[] {6, 5, 6, 5, 6}),
            Map.entry('C', new int[] {3, 4, 4, 4, 3}),
            Map.entry('D', new int[] {6, 5, 5, 5, 6}),
            Map.entry('E', new int[] {7, 4, 6, 4, 7}),
            Map.entry('F', new int[] {7, 4, 6, 4, 4}),
            Map.entry('G', new int[] {3, 4, 5, 5, 3}),
            Map.entry('H', new int[] {5, 5, 7, 5, 5}),
            Map.entry('I', new int[] {7, 2, 2, 2, 7}),
            Map.entry('J', new int[] {1, 1, 1, 5, 2}),
            Map.entry('K', new int[] {5, 5, 6, 5, 5}),
            Map.entry('L', new int[] {4, 4, 4, 4, 7}),
            Map.entry('M', new int[] {5, 7, 7, 5, 5}),
            Map.entry('N', new int[] {6, 5, 5, 5, 5}),
            Map.entry('O', new int[] {2, 5, 5, 5, 2}),
            Map.entry('P', new int[] {6, 5, 6, 4, 4}),
            Map.entry('Q', new int[] {2, 5, 5, 6, 3}),
            Map.entry('R', new int[] {6, 5, 6, 5, 5}),
            Map.entry('S', new int[] {3, 4, 2, 1, 6}),
            Map.entry('T', new int[] {7, 2, 2, 2, 2}),
            Map.entry('U', new int[] {5, 5, 5, 5, 7}),
            Map.entry('V', new int[] {5, 5, 5, 5, 2}),
            Map.entry('W', new int[] {5, 5, 7, 7, 5}),
            Map.entry('X', new int[] {5, 5, 2, 5, 5}),
            Map.entry('Y', new int[] {5, 5, 2, 2, 2}),
            Map.entry('Z', new int[] {7, 1, 2, 4, 7}));

    private TinyFont() {}

    /** {@code text} in capitals, with every character the font lacks shown as '?'. */
    static String printable(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (char c : text.toUpperCase(java.util.Locale.ROOT).toCharArray()) {
            b.append(GLYPHS.containsKey(c) ? c : '?');
        }
        return b.toString();
    }

    /** Width in pixels of {@code text} at pixel size {@code k} (one blank column between glyphs). */
    static int width(String text, int k) {
        return text.isEmpty() ? 0 : (text.length() * (GLYPH_WIDTH + 1) - 1) * k;
    }

    /** Draws {@code text} with its top-left corner at (x, y), each font pixel a k×k square of {@code value}. */
    static void draw(BufferedImage image, String text, int x, int y, int k, int value) {
        WritableRaster r = image.getRaster();
        int[] px = new int[r.getNumBands()];
        Arrays.fill(px, value);
        for (int i = 0; i < text.length(); i++) {
            int[] g = GLYPHS.get(text.charAt(i));
            if (g == null) {
                throw new IllegalArgumentException("TinyFont has no glyph for '" + text.charAt(i) + "'");
            }
            int gx = x + i * (GLYPH_WIDTH + 1) * k;
            for (int row = 0; row < GLYPH_HEIGHT; row++) {
                for (int col = 0; col < GLYPH_WIDTH; col++) {
                    if ((g[row] >> (GLYPH_WIDTH - 1 - col) & 1) != 0) {
                        fill(r, gx + col * k, y + row * k, k, px);
                    }
                }
            }
        }
    }

    private static void fill(WritableRaster r, int x, int y, int k, int[] px) {
        for (int dy = 0; dy < k; dy++) {
            for (int dx = 0; dx < k; dx++) {
                int xx = x + dx;
                int yy = y + dy;
                if (xx >= 0 && yy >= 0 && xx < r.getWidth() && yy < r.getHeight()) {
                    r.setPixel(xx, yy, px);
                }
            }
        }
    }
}
