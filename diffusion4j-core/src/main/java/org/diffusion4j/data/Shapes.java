package org.diffusion4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The {@code shapes} captioned data set (the project's {@code SHAPES.md}): S×S RGB images on black, one object
 * ({@code a small red circle}) or two ({@code a blue square above a yellow triangle}), drawn at 4× and
 * box-downsampled, generated deterministically from (seed, split, index). The training split never holds the
 * held-out colour–shape pairs, so a model that draws them has composed colour and shape.
 */
public final class Shapes {

    /** The shapes, by their caption word. */
    public enum Shape {
        CIRCLE, SQUARE, TRIANGLE;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The colours and their RGB values. */
    public enum Colour {
        RED(255, 0, 0), GREEN(0, 200, 0), BLUE(0, 64, 255), YELLOW(255, 230, 0), MAGENTA(230, 0, 230), CYAN(0, 220, 230),
        WHITE(240, 240, 240);

        private final int[] rgb;

        Colour(int r, int g, int b) {
            this.rgb = new int[] {r, g, b};
        }

        public int channel(int c) {
            return rgb[c];
        }

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Object sizes: the side of the object's box as a fraction of S, rounded half up. */
    public enum Size {
        SMALL(0.25), LARGE(0.44);

        private final double fraction;

        Size(double fraction) {
            this.fraction = fraction;
        }

        /** The side in pixels at canvas size {@code s}. */
        public int side(int s) {
            return (int) Math.floor(fraction * s + 0.5);
        }

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where the first object stands relative to the second, by the boxes' centres (y grows downwards). */
    public enum Relation {
        LEFT("to the left of"), RIGHT("to the right of"), ABOVE("above"), BELOW("below");

        private final String words;

        Relation(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }

        /** Whether centres (dx, dy) = first − second show this relation with the 2 px margin of the spec. */
        public boolean holds(double dx, double dy) {
            return switch (this) {
                case LEFT -> dx < 0 && Math.abs(dx) >= Math.abs(dy) + 2;
                case RIGHT -> dx > 0 && Math.abs(dx) >= Math.abs(dy) + 2;
                case ABOVE -> dy < 0 && Math.abs(dy) >= Math.abs(dx) + 2;
                case BELOW -> dy > 0 && Math.abs(dy) >= Math.abs(dx) + 2;
            };
        }
    }

    /** One object: its box is [x0, y0, x0 + side, y0 + side) in pixels. */
    public record Item(Shape shape, Colour colour, Size size, int x0, int y0, int side) {
        public int x1() {
            return x0 + side;
        }

        public int y1() {
            return y0 + side;
        }

        public double centreX() {
            return x0 + side / 2.0;
        }

        public double centreY() {
            return y0 + side / 2.0;
        }

        boolean overlaps(Item o) {
            return x0 < o.x1() && o.x0 < x1() && y0 < o.y1() && o.y0 < y1();
        }

        /** {@code green triangle}: the colour–shape pair. */
        public String pair() {
            return colour.word() + " " + shape.word();
        }
    }

    /** One image's content: its objects, the relation (null with one object) and the caption. */
    public record Scene(List<Item> items, Relation relation, String caption) {
        public Scene {
            items = List.copyOf(items);
        }
    }

    /** The colour–shape pairs the training split never contains. */
    public static final Set<String> HELD_OUT = Set.of("green triangle", "yellow circle", "magenta square");

    /** The supersampling factor of the rasteriser. */
    static final int SUPERSAMPLE = 4;

    private Shapes() {}

    /**
     * The scene of image {@code index} of a split's stream: even indices hold one object, odd ones two.
     *
     * @param heldOut whether held-out colour–shape pairs may occur (false for the training split)
     */
    public static Scene scene(int s, SplittableRandom r, boolean twoObjects, boolean heldOut) {
        if (!twoObjects) {
            Item a = item(s, r, heldOut, null);
            return new Scene(List.of(a), null, "a " + a.size().word() + " " + a.colour().word() + " " + a.shape().word());
        }
        Relation rel = Relation.values()[r.nextInt(Relation.values().length)];
        while (true) {
            Item a = item(s, r, heldOut, null);
            Item b = item(s, r, heldOut, a.colour());
            if (!a.overlaps(b) && rel.holds(a.centreX() - b.centreX(), a.centreY() - b.centreY())) {
                return new Scene(List.of(a, b), rel, "a " + a.pair() + " " + rel.words() + " a " + b.pair());
            }
        }
    }

    private static Item item(int s, SplittableRandom r, boolean heldOut, Colour not) {
        while (true) {
            Shape shape = Shape.values()[r.nextInt(Shape.values().length)];
            Colour colour = Colour.values()[r.nextInt(Colour.values().length)];
            Size size = Size.values()[r.nextInt(Size.values().length)];
            int side = size.side(s);
            int x0 = 1 + r.nextInt(s - side - 1);
            int y0 = 1 + r.nextInt(s - side - 1);
            Item it = new Item(shape, colour, size, x0, y0, side);
            if (colour != not && (heldOut || !HELD_OUT.contains(it.pair()))) {
                return it;
            }
        }
    }

    /**
     * The image of {@code items} as RGB planes (CHW, uint8) on black: each sub-pixel of the 4× grid is inside an
     * object when its centre is; a pixel is the colour times the covered fraction of its 16 sub-pixels, rounded
     * half up.
     */
    public static byte[] render(List<Item> items, int s) {
        byte[] out = new byte[3 * s * s];
        for (Item it : items) {
            for (int y = Math.max(0, it.y0()); y < Math.min(s, it.y1()); y++) {
                for (int x = Math.max(0, it.x0()); x < Math.min(s, it.x1()); x++) {
                    int covered = 0;
                    for (int v = 0; v < SUPERSAMPLE; v++) {
                        for (int u = 0; u < SUPERSAMPLE; u++) {
                            if (inside(it, x + (u + 0.5) / SUPERSAMPLE, y + (v + 0.5) / SUPERSAMPLE)) {
                                covered++;
                            }
                        }
                    }
                    if (covered > 0) {
                        for (int c = 0; c < 3; c++) {
                            int value = (int) Math.floor(it.colour().channel(c) * covered / 16.0 + 0.5);
                            out[c * s * s + y * s + x] = (byte) value;
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Whether point (px, py) lies inside the object (centres never fall on an edge: see SHAPES.md). */
    static boolean inside(Item it, double px, double py) {
        double side = it.side();
        return switch (it.shape()) {
            case SQUARE -> px >= it.x0() && px < it.x1() && py >= it.y0() && py < it.y1();
            case CIRCLE -> {
                double dx = px - it.centreX();
                double dy = py - it.centreY();
                yield dx * dx + dy * dy <= side * side / 4;
            }
            // apex at the top centre of the box, base along its bottom edge
            case TRIANGLE -> py >= it.y0() && py < it.y1() && Math.abs(px - it.centreX()) <= (py - it.y0()) / 2;
        };
    }

    private static final java.util.regex.Pattern ONE = java.util.regex.Pattern.compile("a (small|large) (\\w+) (circle|square|triangle)");
    private static final java.util.regex.Pattern TWO = java.util.regex.Pattern.compile(
            "a (\\w+) (circle|square|triangle) (to the left of|to the right of|above|below) a (\\w+) (circle|square|triangle)");

    /**
     * The scene a caption asks for (objects without positions: boxes at the origin), or null when the caption is not
     * one of the data set's forms.
     */
    public static Scene parseCaption(String caption, int s) {
        String c = caption.trim().toLowerCase(Locale.ROOT);
        try {
            java.util.regex.Matcher m = ONE.matcher(c);
            if (m.matches()) {
                Size size = Size.valueOf(m.group(1).toUpperCase(Locale.ROOT));
                return new Scene(List.of(new Item(Shape.valueOf(m.group(3).toUpperCase(Locale.ROOT)),
                        Colour.valueOf(m.group(2).toUpperCase(Locale.ROOT)), size, 0, 0, size.side(s))), null, caption);
            }
            m = TWO.matcher(c);
            if (m.matches()) {
                Relation rel = null;
                for (Relation r : Relation.values()) {
                    if (r.words().equals(m.group(3))) {
                        rel = r;
                    }
                }
                Item a = new Item(Shape.valueOf(m.group(2).toUpperCase(Locale.ROOT)), Colour.valueOf(m.group(1).toUpperCase(Locale.ROOT)),
                        Size.SMALL, 0, 0, Size.SMALL.side(s));
                Item b = new Item(Shape.valueOf(m.group(5).toUpperCase(Locale.ROOT)), Colour.valueOf(m.group(4).toUpperCase(Locale.ROOT)),
                        Size.SMALL, 0, 0, Size.SMALL.side(s));
                return new Scene(List.of(a, b), rel, caption);
            }
        } catch (IllegalArgumentException e) {
            return null; // a word that is not a colour of the data set
        }
        return null;
    }

    /**
     * A two-object caption with its objects swapped around the relation — "a blue square to the left of a red circle"
     * for "a red circle to the left of a blue square": the same words describing the mirror image (ARO's VG-Relation
     * test, Yuksekgonul et al. 2023). Null for a caption of one object or not of the data set's forms.
     */
    public static String swappedOrder(String caption) {
        java.util.regex.Matcher m = TWO.matcher(caption.trim().toLowerCase(Locale.ROOT));
        return m.matches() ? "a " + m.group(4) + " " + m.group(5) + " " + m.group(3) + " a " + m.group(1) + " " + m.group(2) : null;
    }

    /** Whether any caption of {@code data} has the two-object form (the hard negatives of train-clip and train need one). */
    public static boolean hasTwoObjectCaption(CaptionedImages data) {
        for (int i = 0; i < data.size(); i++) {
            if (swappedOrder(data.caption(i)) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * A two-object caption with the colours swapped between its shapes — "a blue circle to the left of a red square"
     * for "a red circle to the left of a blue square": the same words binding the attributes the other way (ARO's
     * VG-Attribution test). Null for a caption of one object or not of the data set's forms.
     */
    public static String swappedColours(String caption) {
        java.util.regex.Matcher m = TWO.matcher(caption.trim().toLowerCase(Locale.ROOT));
        return m.matches() ? "a " + m.group(4) + " " + m.group(2) + " " + m.group(3) + " a " + m.group(1) + " " + m.group(5) : null;
    }

    /**
     * The evaluation prompts: every one-object caption (3 shapes × 7 colours × 2 sizes = 42, 6 held out) and
     * {@code twoObject} two-object captions drawn from a fixed generator (held-out pairs allowed).
     */
    public static List<String> evaluationPrompts(int twoObject) {
        List<String> out = new ArrayList<>();
        for (Size size : Size.values()) {
            for (Colour colour : Colour.values()) {
                for (Shape shape : Shape.values()) {
                    out.add("a " + size.word() + " " + colour.word() + " " + shape.word());
                }
            }
        }
        SplittableRandom r = new SplittableRandom(0x5EA5);
        for (int i = 0; i < twoObject; i++) {
            out.add(scene(32, r, true, true).caption());
        }
        return out;
    }
}
