package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.nn.UNet2DConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The class convention (K, the null class) and --class ids and names. */
class ModelClassesTest {

    @TempDir
    Path dir;

    static final ModelClasses FASHION = new ModelClasses(11, Datasets.FASHION_MNIST_CLASSES);

    @Test
    void theConventionKAndTheNullClass() {
        assertEquals(10, FASHION.count());
        assertTrue(FASHION.hasNullClass());
        assertEquals(10, FASHION.nullLabel());

        ModelClasses noNames = new ModelClasses(3, List.of());
        assertEquals(3, noNames.count(), "without id2label, K = num_class_embeds");
        assertFalse(noNames.hasNullClass());
        assertThrows(IllegalStateException.class, noNames::nullLabel);

        ModelClasses three = new ModelClasses(4, List.of("a", "b", "c"));
        assertEquals(3, three.count());
        assertEquals(3, three.nullLabel(), "the null class is the last embedding");

        assertFalse(ModelClasses.UNCONDITIONAL.conditional());
        assertFalse(ModelClasses.UNCONDITIONAL.hasNullClass());
    }

    @Test
    void idsAndNamesResolveCaseInsensitivelyAndByPart() {
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, FASHION.parse("all"));
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, FASHION.parse(" ALL "));
        assertArrayEquals(new long[] {7}, FASHION.parse("7"));
        for (String sneaker : List.of("sneaker", "Sneaker", "SNEAKER", " sneaker ")) {
            assertArrayEquals(new long[] {7}, FASHION.parse(sneaker), sneaker);
        }
        for (String tshirt : List.of("T-shirt/top", "t-shirt/top", "tshirt/top", "t-shirt", "top", "TOP")) {
            assertArrayEquals(new long[] {0}, FASHION.parse(tshirt), tshirt);
        }
        for (String boot : List.of("Ankle boot", "ankle-boot", "ankle_boot", "ankleboot")) {
            assertArrayEquals(new long[] {9}, FASHION.parse(boot), boot);
        }
        assertArrayEquals(new long[] {6}, FASHION.parse("shirt"), "Shirt, not the T-shirt part of T-shirt/top");
        assertArrayEquals(new long[] {7, 0, 7, 8}, FASHION.parse("sneaker,0,7,Bag"));
    }

    @Test
    void badEntriesNameTheClasses() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FASHION.parse("boots"));
        assertTrue(e.getMessage().contains("'boots'") && e.getMessage().contains("0 T-shirt/top")
                && e.getMessage().contains("9 Ankle boot"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FASHION.parse("10"));
        assertTrue(e.getMessage().contains("--class 10 is outside [0, 9]"), "the null class is not a class: " + e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FASHION.parse("-1"));
        assertTrue(e.getMessage().contains("outside [0, 9]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FASHION.parse("1,,2"));
        assertTrue(e.getMessage().contains("empty entry"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ModelClasses(3, List.of()).parse("sneaker"));
        assertTrue(e.getMessage().contains("no class names") && e.getMessage().contains("0..2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ModelClasses(3, List.of("cat", "Cat", "dog")).parse("CAT"));
        assertTrue(e.getMessage().contains("ambiguous"), e.getMessage());
        assertArrayEquals(new long[] {1}, new ModelClasses(3, List.of("cat", "Cat", "dog")).parse("Cat"), "an exact match wins");
    }

    @Test
    void labelsTakeTheClassesInTurnOrByRow() {
        assertArrayEquals(new long[] {4, 5, 4, 5, 4}, ModelClasses.cycle(5, new long[] {4, 5}));
        assertArrayEquals(new long[] {4, 4, 4, 5, 5, 5}, ModelClasses.byRow(6, 3, new long[] {4, 5}));
        assertArrayEquals(new long[] {2, 2, 2, 2}, ModelClasses.byRow(4, 2, new long[] {2}));
    }

    @Test
    void readsId2labelAndChecksItAgainstTheUNet() throws Exception {
        ModelFolder folder = new ModelFolder(dir.resolve("m"));
        Files.createDirectories(folder.root());
        UNet2DConfig unet = UNet2DConfig.tiny().toBuilder().optNumClassEmbeds(4).build();

        assertEquals(new ModelClasses(4, List.of()), ModelClasses.read(folder.root(), unet), "no model_index.json: no names");
        folder.writeModelIndex(List.of("Sneaker", "T-shirt/top", "Ankle boot"));
        ModelClasses c = ModelClasses.read(folder.root(), unet);
        assertEquals(List.of("Sneaker", "T-shirt/top", "Ankle boot"), c.names());
        assertEquals(3, c.nullLabel());
        assertEquals("2 Ankle boot", c.label(2));

        assertEquals(ModelClasses.UNCONDITIONAL, ModelClasses.read(folder.root(), UNet2DConfig.tiny().toBuilder().optNumClassEmbeds(null).build()));

        folder.writeModelIndex(List.of("a", "b", "c", "d", "e"));
        Exception e = assertThrows(Exception.class, () -> ModelClasses.read(folder.root(), unet));
        assertTrue(e.getMessage().contains("model_index.json") && e.getMessage().contains("5 classes")
                && e.getMessage().contains("num_class_embeds 4"), e.getMessage());
    }

    @Test
    void theFoldersGuidanceScaleIsTheDefaultAndIsCheckedAgainstTheModel() throws Exception {
        ModelFolder folder = new ModelFolder(dir.resolve("w"));
        Files.createDirectories(folder.root());
        UNet2DConfig withNull = UNet2DConfig.tiny().toBuilder().optNumClassEmbeds(4).build();
        folder.writeModelIndex(List.of("a", "b", "c"));
        assertEquals(ModelClasses.DEFAULT_GUIDANCE, ModelClasses.read(folder.root(), withNull).guidanceOrDefault(null));

        withEntry(folder, "{\"guidance_scale\": 3.5}");
        ModelClasses c = ModelClasses.read(folder.root(), withNull);
        assertEquals(3.5, c.guidanceOrDefault(null), "the folder's scale when none is asked for");
        assertEquals(0.5, c.guidanceOrDefault(0.5), "an asked scale wins");

        Exception noNull = assertThrows(Exception.class,
                () -> ModelClasses.read(folder.root(), UNet2DConfig.tiny().toBuilder().optNumClassEmbeds(3).build()));
        assertTrue(noNull.getMessage().contains("\"_diffusion4j.guidance_scale\" is 3.5") && noNull.getMessage().contains("no null class"),
                noNull.getMessage());
        Exception uncond = assertThrows(Exception.class,
                () -> ModelClasses.read(folder.root(), UNet2DConfig.tiny().toBuilder().optNumClassEmbeds(null).build()));
        assertTrue(uncond.getMessage().contains("model_index.json") && uncond.getMessage().contains("unconditional")
                && uncond.getMessage().contains("remove the field"), uncond.getMessage());
    }

    /** Adds {@code "_diffusion4j": entry} to the folder's model_index.json. */
    static void withEntry(ModelFolder folder, String entry) throws java.io.IOException {
        String index = Files.readString(folder.modelIndexFile());
        Files.writeString(folder.modelIndexFile(), "{\n  \"_diffusion4j\": " + entry + "," + index.substring(1));
    }
}
