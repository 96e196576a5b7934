package org.diffusion4j.cli;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfoCommandTest {

    @TempDir
    Path dir;

    /** A diffusers model folder made of the reference fixture's UNet and scheduler. */
    static Path modelFolder(Path dir) throws Exception {
        Path model = dir.resolve("model");
        Files.createDirectories(model.resolve("unet"));
        Files.createDirectories(model.resolve("scheduler"));
        Path fx = Cli.fixtures();
        Files.copy(fx.resolve("unet/config.json"), model.resolve("unet/config.json"));
        Files.copy(fx.resolve("unet/diffusion_pytorch_model.safetensors"), model.resolve("unet/diffusion_pytorch_model.safetensors"));
        Files.copy(fx.resolve("scheduler/scheduler_config.json"), model.resolve("scheduler/scheduler_config.json"));
        Files.writeString(model.resolve("model_index.json"),
                "{\"_class_name\": \"DDPMPipeline\", \"_diffusers_version\": \"0.31.0\", "
                        + "\"scheduler\": [\"diffusers\", \"DDPMScheduler\"], \"unet\": [\"diffusers\", \"UNet2DModel\"]}");
        return model;
    }

    @Test
    void modelFolderSummary() throws Exception {
        Path model = modelFolder(dir);
        Cli r = Cli.run("info", model.toString());
        assertEquals(0, r.exitCode(), r.err());
        String o = r.out();
        assertTrue(o.contains("DDPMPipeline"), o);
        assertTrue(o.contains("block_out_channels") && o.contains("[16,32]"), o);
        assertTrue(o.contains("DDPMScheduler") && o.contains("beta_schedule") && o.contains("linear"), o);
        long expected;
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                org.diffusion4j.nn.UNet2DModel unet = org.diffusion4j.diffusers.UNet2DFolder.load(model.resolve("unet"), m)) {
            expected = unet.numParameters();
        }
        String count = String.format("%,d", expected);
        assertTrue(o.lines().anyMatch(l -> l.contains("parameters") && l.contains(count)), count + " in:\n" + o);
    }

    @Test
    void classNamesOfAClassConditionalFolderAreListed() throws Exception {
        Path model = modelFolder(dir);
        Cli r = Cli.run("info", model.toString());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("classes")), "no id2label, no classes line:\n" + r.out());
        Files.writeString(model.resolve("model_index.json"), org.diffusion4j.diffusers.ModelFolder.ddpmModelIndexJson(
                java.util.List.of("T-shirt/top", "Trouser", "Ankle boot")));
        r = Cli.run("info", model.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("classes        3 (id2label): 0 T-shirt/top, 1 Trouser, 2 Ankle boot"), r.out());
        Files.writeString(model.resolve("model_index.json"), "{\"_class_name\": \"DDPMPipeline\", \"unet\": [], \"id2label\": {\"1\": \"x\"}}");
        r = Cli.run("info", model.toString());
        assertEquals(1, r.exitCode(), r.out());
        assertTrue(r.err().contains("model_index.json") && r.err().contains("id2label"), r.err());
    }

    @Test
    void trainingCheckpointsShowTheLatestStep() throws Exception {
        Path model = modelFolder(dir);
        for (int step : new int[] {500, 1000, 20}) {
            Path c = model.resolve("training/step-" + step);
            Files.createDirectories(c);
            Files.writeString(c.resolve("manifest.json"), "{\"format_version\": 1, \"step\": " + step + ", \"files\": {}}");
        }
        Cli r = Cli.run("info", model.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("step 1,000 (latest of 3 checkpoints: training/step-1000)"), r.out());
    }

    @Test
    void notAModelFolderSaysWhatIsExpected() {
        Cli r = Cli.run("info", dir.toString());
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("model_index.json") && r.err().contains("diffusers layout"), r.err());
    }

    @Test
    void safetensorsTable() {
        Cli r = Cli.run("info", Cli.fixtures().resolve("reference/unet_io.safetensors").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("sample\\s+F32\\s+\\[2, 3, 16, 16]\\s+1,536")), r.out());
        assertTrue(r.out().contains("3 tensors, 3,074 elements"), r.out());
    }

    @Test
    void npySummary() throws Exception {
        Path f = dir.resolve("x.npy");
        Npy.write(f, new float[] {-1, 1, -1, 1}, 2, 2);
        Cli r = Cli.run("info", f.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("[2, 2]") && r.out().contains("mean 0") && r.out().contains("std 1"), r.out());
    }

    @Test
    void corruptSafetensorsIsOneLine() throws Exception {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        Cli r = Cli.run("info", f.toString());
        assertEquals(1, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("bad.safetensors"), r.err());
    }

    @Test
    void fashionMnistData() {
        assumeTrue(Datasets.isInstalled("fashion-mnist"),
                "Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist); skipping");
        Cli r = Cli.run("info", "--data", "fashion-mnist");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("60,000 images, 28x28, 1 channel"), r.out());
        assertTrue(r.out().contains("10,000 images"), r.out());
        assertTrue(r.out().contains("Ankle boot"), r.out());
    }

    @Test
    void imageFolderWithClassSubfolders() throws Exception {
        Path data = dir.resolve("pics");
        for (String cls : new String[] {"cats", "dogs"}) {
            Files.createDirectories(data.resolve(cls));
            for (int i = 0; i < (cls.equals("cats") ? 2 : 3); i++) {
                javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(6, 4, java.awt.image.BufferedImage.TYPE_INT_RGB),
                        "png", data.resolve(cls).resolve(i + ".png").toFile());
            }
        }
        Cli r = Cli.run("info", "--data", data.toString(), "--channels", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("5 images, 4x6, 1 channel (gray), 2 classes"), r.out());
        assertTrue(r.out().contains("cats 2, dogs 3"), r.out());
    }

    @Test
    void unknownDataSetNamesTheKnownOnes() {
        Cli r = Cli.run("info", "--data", "cifar-1000");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("cifar-1000") && r.err().contains("fashion-mnist"), r.err());
    }
}
