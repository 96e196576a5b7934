package org.diffusion4j.cli.studio;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.ModelClasses;

/**
 * The models a studio serves, loaded once at start and known by their folder names. A request names a
 * model; nothing else of the file system is reachable from the web page.
 */
public final class ServedModels implements AutoCloseable {

    /** One served model: its name (the folder's), the folder and the loaded pipeline. */
    public record Model(String name, Path folder, DiffusionPipeline pipeline) {

        /** unconditional, class or text. */
        public String kind() {
            return pipeline.isText() ? "text" : pipeline.classes().conditional() ? "class" : "unconditional";
        }

        /** Whether the sampler runs on a VAE's latents rather than on pixels. */
        public boolean latent() {
            return !Arrays.equals(pipeline.latentShape(), pipeline.imageShape());
        }
    }

    private final Map<String, Model> models = new LinkedHashMap<>();

    private ServedModels() {}

    /**
     * Loads every model folder among {@code dirs}: a model folder itself (with {@code unet/config.json}),
     * or a folder whose sub-folders are model folders (others, such as a classifier, are skipped).
     *
     * @throws IOException naming a folder that is missing, holds no model or does not load
     * @throws IllegalArgumentException when two models have the same folder name
     */
    public static ServedModels load(List<Path> dirs) throws IOException {
        List<Path> folders = new ArrayList<>();
        for (Path dir : dirs) {
            folders.addAll(modelFolders(dir));
        }
        ServedModels served = new ServedModels();
        try {
            for (Path folder : folders) {
                String name = folder.toAbsolutePath().normalize().getFileName().toString();
                Model seen = served.models.get(name);
                if (seen != null) {
                    throw new IllegalArgumentException("--models: two models are named '" + name + "' (" + seen.folder() + " and "
                            + folder + "); the page knows a model by its folder name, so serve differently named folders");
                }
                served.models.put(name, new Model(name, folder, DiffusionPipeline.load(folder)));
            }
        } catch (IOException | RuntimeException e) {
            served.close();
            throw e;
        }
        return served;
    }

    private static List<Path> modelFolders(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such model folder");
        }
        if (isModel(dir)) {
            return List.of(dir);
        }
        List<Path> found;
        try (Stream<Path> children = Files.list(dir)) {
            found = children.filter(ServedModels::isModel).sorted().toList();
        }
        if (found.isEmpty()) {
            throw new NoSuchFileException(dir.toString(), null,
                    "neither a model folder (unet/config.json) nor a folder of model folders");
        }
        return found;
    }

    private static boolean isModel(Path dir) {
        return Files.isRegularFile(dir.resolve("unet").resolve("config.json"));
    }

    /** The model named {@code name}, or null. */
    public Model find(String name) {
        return models.get(name);
    }

    /** The first model: the one a request without {@code model} gets. */
    public Model first() {
        return models.values().iterator().next();
    }

    public List<String> names() {
        return List.copyOf(models.keySet());
    }

    /** The {@code models} array of {@code GET /api/models}. */
    JsonArray describe() {
        JsonArray out = new JsonArray();
        for (Model m : models.values()) {
            DiffusionPipeline p = m.pipeline();
            JsonObject o = new JsonObject();
            o.addProperty("name", m.name());
            o.addProperty("kind", m.kind());
            o.addProperty("latent", m.latent());
            JsonArray classes = new JsonArray();
            ModelClasses c = p.classes();
            for (int i = 0; i < c.count(); i++) {
                classes.add(c.name(i));
            }
            o.add("classes", classes);
            long[] shape = p.imageShape();
            o.addProperty("size", shape[2]);
            o.addProperty("channels", shape[0]);
            o.addProperty("sampler", DiffusionPipeline.DEFAULT_SAMPLER);
            o.addProperty("steps", DiffusionPipeline.steps(p.scheduler(), null, null));
            o.addProperty("guidance", p.defaultGuidance());
            out.add(o);
        }
        return out;
    }

    @Override
    public void close() {
        for (Model m : models.values()) {
            m.pipeline().close();
        }
        models.clear();
    }
}
