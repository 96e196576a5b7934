package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {

    @Test
    void linesCarryTheFieldsAndNonFiniteValuesBecomeNull(@TempDir Path tmp) throws IOException {
        try (MetricsLog log = MetricsLog.open(tmp, 0)) {
            log.logTraining(10, 0.5, 2e-4, 1.25, 123.45, 6.5, 0);
            log.logSkip(11, "loss is NaN", 1, 1);
            log.logTraining(20, Double.NaN, 2e-4, Double.POSITIVE_INFINITY, 100, 7, 1);
        }
        List<String> lines = Files.readAllLines(tmp.resolve(MetricsLog.FILE_NAME));
        assertEquals(3, lines.size());
        JsonObject a = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertEquals("train", a.get("kind").getAsString());
        assertEquals(10, a.get("step").getAsLong());
        assertEquals(0.5, a.get("loss").getAsDouble());
        assertEquals(2e-4, a.get("lr").getAsDouble());
        assertEquals(1.25, a.get("grad_norm").getAsDouble());
        assertEquals(123.5, a.get("images_per_sec").getAsDouble());
        assertEquals(6.5, a.get("wall_time_s").getAsDouble());
        JsonObject s = JsonParser.parseString(lines.get(1)).getAsJsonObject();
        assertEquals("skip", s.get("kind").getAsString());
        assertEquals("loss is NaN", s.get("reason").getAsString());
        JsonObject c = JsonParser.parseString(lines.get(2)).getAsJsonObject();
        assertTrue(c.get("loss").isJsonNull() && c.get("grad_norm").isJsonNull(), lines.get(2));
    }

    @Test
    void resumeDropsTheLinesAfterTheCheckpointAndTornLines(@TempDir Path tmp) throws IOException {
        try (MetricsLog log = MetricsLog.open(tmp, 0)) {
            for (int s = 10; s <= 50; s += 10) {
                log.logTraining(s, 1.0 / s, 1e-4, 1, 10, s, 0);
            }
        }
        Files.writeString(tmp.resolve(MetricsLog.FILE_NAME), "{\"kind\":\"train\",\"st", java.nio.file.StandardOpenOption.APPEND);
        try (MetricsLog log = MetricsLog.open(tmp, 30)) {
            assertEquals(List.of(10L, 20L, 30L), log.points().stream().map(MetricsLog.Point::step).toList());
            log.logTraining(40, 0.01, 1e-4, 1, 10, 40, 0);
        }
        List<String> lines = Files.readAllLines(tmp.resolve(MetricsLog.FILE_NAME));
        assertEquals(4, lines.size(), lines.toString());
        assertEquals(0.01, JsonParser.parseString(lines.get(3)).getAsJsonObject().get("loss").getAsDouble());
        try (MetricsLog log = MetricsLog.open(tmp, 0)) {
            assertTrue(log.points().isEmpty());
        }
        assertEquals(0, Files.size(tmp.resolve(MetricsLog.FILE_NAME)), "a fresh run starts an empty log");
    }

    @Test
    void smoothingIsAnExponentialMovingAverage() {
        double[] s = LossCurve.smooth(new double[] {1, 0, 0, 0}, 3); // α = 2/(3+1) = 0.5
        assertArrayEquals(new double[] {1, 0.5, 0.25, 0.125}, s, 1e-15);
    }

    @Test
    void lossCurveIsAPng(@TempDir Path tmp) throws IOException {
        Path png = tmp.resolve("loss.png");
        LossCurve.write(png, List.of(new MetricsLog.Point(1, 1.0)), "one point");
        assertTrue(Files.notExists(png), "a single point draws no curve");
        LossCurve.write(png, List.of(new MetricsLog.Point(1, 1.0), new MetricsLog.Point(2, 0.5), new MetricsLog.Point(3, 0.4)), "t");
        byte[] b = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(b, 4));
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(900, img.getWidth());
        assertEquals(500, img.getHeight());
    }
}
