package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsByExtension() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(3, 1, 2, 2));
            for (String name : new String[] {"x.npy", "x.safetensors", "X.NPY"}) {
                Path f = dir.resolve(name);
                Tensors.write(f, x);
                NDArray y = Tensors.read(f, m);
                assertEquals(x.getShape(), y.getShape(), name);
                assertArrayEquals(x.toFloatArray(), y.toFloatArray(), name);
            }
            assertTrue(SafeTensors.read(dir.resolve("x.safetensors")).contains(Tensors.DEFAULT_NAME));
        }
    }

    @Test
    void readsTheFixtureNoiseByName() throws Exception {
        Path f = Path.of(getClass().getResource("/fixtures/diffusers/reference/unet_io.safetensors").toURI());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = Tensors.read(f, "sample", m);
            assertEquals(new Shape(2, 3, 16, 16), s.getShape());
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> Tensors.read(f, m));
            assertTrue(e.getMessage().contains("holds 3 tensors"), e.getMessage());
            e = assertThrows(SafeTensorsException.class, () -> Tensors.read(f, "nope", m));
            assertTrue(e.getMessage().contains("no tensor named \"nope\""), e.getMessage());
        }
    }

    @Test
    void refusesUnknownExtensionsPickleAndMissingFiles() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensors.read(dir.resolve("a.txt"), m));
            assertTrue(e.getMessage().contains("*.npy or *.safetensors"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Tensors.read(dir.resolve("a.pt"), m));
            assertTrue(e.getMessage().contains("pickle"), e.getMessage());
            NoSuchFileException n = assertThrows(NoSuchFileException.class, () -> Tensors.read(dir.resolve("gone.npy"), m));
            assertTrue(n.getMessage().contains("gone.npy"));
            SafeTensors.write(dir.resolve("two.safetensors"),
                    Map.of("a", m.zeros(new Shape(1)), "b", m.zeros(new Shape(1))), Map.of());
            assertThrows(SafeTensorsException.class, () -> Tensors.read(dir.resolve("two.safetensors"), m));
        }
    }
}
