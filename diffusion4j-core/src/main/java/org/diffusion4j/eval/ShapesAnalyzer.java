package org.diffusion4j.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.diffusion4j.data.Shapes;

/**
 * Reads a {@code shapes} image back into objects, without a detector network (the idea of T2I-CompBench and
 * GenEval): each lit pixel takes the palette colour nearest in direction (anti-aliased edges are dimmer copies of
 * the colour), pixels of one colour form 4-connected components, a component's shape follows from how much of its
 * bounding box it fills (square ≈ 1, circle ≈ π/4, triangle ≈ 1/2, apex on top), its size from the box's side, and
 * the relation of two objects from their centroids. Scores a generated image against the scene it was asked for.
 */
public final class ShapesAnalyzer {

    /** A pixel is lit when its brightest channel reaches this (of 255); background is black. */
    static final int LIT = 48;

    /** One object found in an image. */
    public record Detected(Shapes.Shape shape, Shapes.Colour colour, Shapes.Size size, double centreX, double centreY, int pixels) {}

    /**
     * How an image matches what was asked, as a funnel: the parts (as many objects as asked, carrying the asked shapes and
     * the asked colours, however paired), the objects (each asked colour on its asked shape: attribute binding), their
     * sizes, and the relation.
     */
    public record Verdict(boolean parts, boolean objects, boolean sizes, boolean relation) {
        /** Everything asked for is there. */
        public boolean correct() {
            return objects && sizes && relation;
        }
    }

    private ShapesAnalyzer() {}

    /** The objects of an RGB image (CHW uint8 planes of side {@code s}), largest first. */
    public static List<Detected> analyze(byte[] planes, int offset, int s) {
        int n = s * s;
        int[] colour = new int[n];
        for (int i = 0; i < n; i++) {
            int r = planes[offset + i] & 0xff;
            int g = planes[offset + n + i] & 0xff;
            int b = planes[offset + 2 * n + i] & 0xff;
            colour[i] = Math.max(r, Math.max(g, b)) < LIT ? -1 : nearest(r, g, b);
        }
        boolean[] seen = new boolean[n];
        List<Detected> out = new ArrayList<>();
        int minPixels = Math.max(3, (int) Math.round(0.25 * s * 0.25 * s * 0.2));
        for (int start = 0; start < n; start++) {
            if (colour[start] < 0 || seen[start]) {
                continue;
            }
            int c = colour[start];
            List<Integer> comp = new ArrayList<>();
            ArrayList<Integer> stack = new ArrayList<>(List.of(start));
            seen[start] = true;
            while (!stack.isEmpty()) {
                int p = stack.remove(stack.size() - 1);
                comp.add(p);
                int x = p % s;
                int y = p / s;
                int[][] next = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
                for (int[] q : next) {
                    if (q[0] >= 0 && q[0] < s && q[1] >= 0 && q[1] < s) {
                        int k = q[1] * s + q[0];
                        if (!seen[k] && colour[k] == c) {
                            seen[k] = true;
                            stack.add(k);
                        }
                    }
                }
            }
            if (comp.size() >= minPixels) {
                out.add(describe(comp, Shapes.Colour.values()[c], planes, offset, s));
            }
        }
        out.sort(Comparator.comparingInt(Detected::pixels).reversed());
        return out;
    }

    private static Detected describe(List<Integer> comp, Shapes.Colour colour, byte[] planes, int offset, int s) {
        int x0 = s;
        int y0 = s;
        int x1 = -1;
        int y1 = -1;
        double mass = 0;
        double mx = 0;
        double my = 0;
        int n = s * s;
        int channel = dominant(colour);
        for (int p : comp) {
            int x = p % s;
            int y = p / s;
            x0 = Math.min(x0, x);
            y0 = Math.min(y0, y);
            x1 = Math.max(x1, x);
            y1 = Math.max(y1, y);
            // coverage of the pixel: its brightness relative to the pure colour
            double w = Math.min(1, (planes[offset + channel * n + p] & 0xff) / (double) colour.channel(channel));
            mass += w;
            mx += w * (x + 0.5);
            my += w * (y + 0.5);
        }
        int width = x1 - x0 + 1;
        int height = y1 - y0 + 1;
        double side = Math.max(width, height);
        double fill = mass / (side * side);
        // the top quarter of a triangle's box holds little of it; of a circle's about 14 %, of a square's 25 %
        double top = 0;
        for (int p : comp) {
            if (p / s < y0 + side / 4) {
                top += Math.min(1, (planes[offset + channel * n + p] & 0xff) / (double) colour.channel(channel));
            }
        }
        double topShare = top / mass;
        Shapes.Shape shape = fill > 0.9 ? Shapes.Shape.SQUARE : fill < 0.62 && topShare < 0.12 ? Shapes.Shape.TRIANGLE
                : Shapes.Shape.CIRCLE;
        Shapes.Size size = Math.abs(side - Shapes.Size.SMALL.side(s)) <= Math.abs(side - Shapes.Size.LARGE.side(s))
                ? Shapes.Size.SMALL : Shapes.Size.LARGE;
        return new Detected(shape, colour, size, mx / mass, my / mass, comp.size());
    }

    /** The palette colour whose direction in RGB is nearest (cosine) to (r, g, b). */
    static int nearest(int r, int g, int b) {
        double norm = Math.sqrt((double) r * r + (double) g * g + (double) b * b);
        int best = 0;
        double bestCos = -2;
        for (Shapes.Colour c : Shapes.Colour.values()) {
            double cr = c.channel(0);
            double cg = c.channel(1);
            double cb = c.channel(2);
            double cos = (r * cr + g * cg + b * cb) / (norm * Math.sqrt(cr * cr + cg * cg + cb * cb));
            if (cos > bestCos) {
                bestCos = cos;
                best = c.ordinal();
            }
        }
        return best;
    }

    private static int dominant(Shapes.Colour c) {
        int ch = 0;
        for (int k = 1; k < 3; k++) {
            if (c.channel(k) > c.channel(ch)) {
                ch = k;
            }
        }
        return ch;
    }

    /**
     * The verdict of image {@code planes} against the scene asked for: the right number of objects with the asked
     * shapes and colours in any pairing (the parts), each asked colour–shape pair matched by a distinct detected object
     * (binding), sizes as asked (one-object captions name it), and the asked relation between the two objects' centroids.
     */
    public static Verdict judge(Shapes.Scene asked, byte[] planes, int offset, int s) {
        List<Detected> found = analyze(planes, offset, s);
        List<Shapes.Item> items = asked.items();
        if (found.size() != items.size()) {
            return new Verdict(false, false, false, false);
        }
        boolean parts = sorted(found.stream().map(Detected::shape).toList()).equals(sorted(items.stream().map(Shapes.Item::shape).toList()))
                && sorted(found.stream().map(Detected::colour).toList()).equals(sorted(items.stream().map(Shapes.Item::colour).toList()));
        Detected[] match = new Detected[items.size()];
        List<Detected> left = new ArrayList<>(found);
        for (int i = 0; i < items.size(); i++) {
            Shapes.Item it = items.get(i);
            for (Detected d : left) {
                if (d.colour() == it.colour() && d.shape() == it.shape()) {
                    match[i] = d;
                    left.remove(d);
                    break;
                }
            }
            if (match[i] == null) {
                return new Verdict(parts, false, false, false);
            }
        }
        boolean sizes = items.size() > 1 || match[0].size() == items.get(0).size();
        boolean relation = asked.relation() == null || relationHolds(asked.relation(), match[0], match[1]);
        return new Verdict(true, true, sizes, relation);
    }

    private static <E extends Enum<E>> List<E> sorted(List<E> values) {
        return values.stream().sorted().toList();
    }

    /** The relation by centroids, dominant axis and sign (no margin: the generator's 2 px margin is for drawing). */
    static boolean relationHolds(Shapes.Relation r, Detected a, Detected b) {
        double dx = a.centreX() - b.centreX();
        double dy = a.centreY() - b.centreY();
        return switch (r) {
            case LEFT -> dx < 0 && Math.abs(dx) > Math.abs(dy);
            case RIGHT -> dx > 0 && Math.abs(dx) > Math.abs(dy);
            case ABOVE -> dy < 0 && Math.abs(dy) > Math.abs(dx);
            case BELOW -> dy > 0 && Math.abs(dy) > Math.abs(dx);
        };
    }
}
