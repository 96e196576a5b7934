package org.diffusion4j.cli;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import java.util.List;

/** A white band left of an image grid with one label per row (e.g. its class), drawn in {@link TinyFont}. */
final class RowLabels {

    private RowLabels() {}

    /**
     * The grid with a label band on its left.
     *
     * @param grid an {@link org.diffusion4j.io.ImageGrid} grid (already scaled)
     * @param labels one per row, top to bottom
     * @param cellHeight the height of one image in grid pixels
     * @param padding the padding between images in grid pixels
     */
    static BufferedImage draw(BufferedImage grid, List<String> labels, int cellHeight, int padding) {
        int font = Math.max(1, cellHeight / 24);
        List<String> texts = labels.stream().map(TinyFont::printable).toList();
        int widest = texts.stream().mapToInt(t -> TinyFont.width(t, font)).max().orElse(0);
        int margin = 3 * font;
        int band = widest + 2 * margin;
        BufferedImage out = new BufferedImage(grid.getWidth() + band, grid.getHeight(), grid.getType());
        WritableRaster r = out.getRaster();
        int[] white = new int[band * r.getNumBands()];
        Arrays.fill(white, 255);
        for (int y = 0; y < out.getHeight(); y++) {
            r.setPixels(0, y, band, 1, white);
        }
        r.setRect(band, 0, grid.getRaster());
        for (int row = 0; row < texts.size(); row++) {
            int top = padding + row * (cellHeight + padding) + (cellHeight - TinyFont.GLYPH_HEIGHT * font) / 2;
            if (top + TinyFont.GLYPH_HEIGHT * font <= out.getHeight()) {
                TinyFont.draw(out, texts.get(row), margin, top, font, 0);
            }
        }
        return out;
    }
}
