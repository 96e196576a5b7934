package org.diffusion4j.cli.studio;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.sampling.Samplers;

/**
 * A sampling job as the page asks for it ({@code POST /api/jobs}), checked field by field against the
 * served models and the server's limits. Absent fields take the CLI's defaults (ddim, 50 steps or T for
 * ddpm, the model's guidance, seed 0, every class in turn), except {@code n}, which is 1: a page shows
 * a few images, not the CLI's 64-image grid.
 *
 * @param model the served model
 * @param request what the pipeline samples
 * @param settings the settings as the page shows them and as each image's PNG text remembers them
 */
record JobSpec(ServedModels.Model model, SampleRequest request, JsonObject settings) {

    /** The fields of a request body. */
    static final Set<String> FIELDS = Set.of("model", "prompt", "negative_prompt", "class", "sampler", "steps", "guidance",
            "seed", "n", "batch");

    /** Reads and checks a request body; every refusal names its field. */
    static JobSpec parse(JsonObject body, ServedModels models, StudioConfig config) {
        for (String key : body.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new BadRequest(key, "unknown field '" + key + "'; the fields are " + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }
        String modelName = string(body, "model", 200);
        ServedModels.Model model = modelName == null ? models.first() : models.find(modelName);
        if (model == null) {
            throw new BadRequest("model", "unknown model '" + modelName + "'; the served models are " + String.join(", ", models.names()));
        }
        DiffusionPipeline pipe = model.pipeline();
        int n = integer(body, "n", 1, 1, config.maxImages());
        int batch = integer(body, "batch", Math.min(n, SampleRequest.DEFAULT_BATCH), 1, SampleRequest.DEFAULT_BATCH);
        long seed = longInteger(body, "seed", 0);
        String sampler = string(body, "sampler", 50);
        if (sampler != null) {
            sampler = sampler.strip().toLowerCase(Locale.ROOT);
            if (!Samplers.names().contains(sampler)) {
                throw new BadRequest("sampler", "unknown sampler '" + sampler + "'; use one of " + String.join(", ", Samplers.names()));
            }
        }
        Integer steps = body.has("steps") && !body.get("steps").isJsonNull() ? integer(body, "steps", 0, 1, config.maxSteps()) : null;
        int effectiveSteps = DiffusionPipeline.steps(pipe.scheduler(), sampler, steps);
        if (effectiveSteps > config.maxSteps()) {
            throw new BadRequest("steps", (sampler == null ? "ddim" : sampler) + " runs " + effectiveSteps
                    + " steps by default, over the server's cap of " + config.maxSteps() + "; give steps");
        }
        SampleRequest request = SampleRequest.of(n, seed).withSampler(sampler, steps).withBatch(batch);
        if (body.has("guidance") && !body.get("guidance").isJsonNull()) {
            double w = number(body, "guidance");
            if (!(w >= 0 && w <= 100)) {
                throw new BadRequest("guidance", "guidance must be in [0, 100], got " + w);
            }
            request = request.withGuidance(w);
        }
        String prompt = string(body, "prompt", config.maxPromptChars());
        String negative = string(body, "negative_prompt", config.maxPromptChars());
        String classes = classSpec(body);
        if (pipe.isText()) {
            if (prompt == null || prompt.isBlank()) {
                throw new BadRequest("prompt", "model '" + model.name() + "' is text-conditional; give a prompt, e.g. \"a red circle\"");
            }
            request = request.withPrompts(List.of(prompt.strip()));
            if (negative != null) {
                request = request.withNegativePrompts(List.of(negative.strip()));
            }
        } else {
            if (prompt != null && !prompt.isBlank()) {
                throw new BadRequest("prompt", "model '" + model.name() + "' takes no prompt (it is " + model.kind() + ")");
            }
            if (negative != null && !negative.isBlank()) {
                throw new BadRequest("negative_prompt", "model '" + model.name() + "' takes no negative prompt (it is " + model.kind() + ")");
            }
        }
        if (classes != null) {
            if (!pipe.classes().conditional()) {
                throw new BadRequest("class", "model '" + model.name() + "' takes no class (it is " + model.kind() + ")");
            }
            try {
                request = request.withClasses(pipe.classes().parse(classes));
            } catch (IllegalArgumentException e) {
                throw new BadRequest("class", fieldMessage(e.getMessage()));
            }
        }
        try {
            pipe.check(request);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(fieldOf(e.getMessage()), fieldMessage(e.getMessage()));
        }
        return new JobSpec(model, request, settings(model, request, prompt, negative, classes, effectiveSteps));
    }

    private static JsonObject settings(ServedModels.Model model, SampleRequest r, String prompt, String negative, String classes,
            int steps) {
        JsonObject s = new JsonObject();
        s.addProperty("model", model.name());
        if (model.pipeline().isText()) {
            s.addProperty("prompt", prompt.strip());
            s.addProperty("negative_prompt", negative == null ? "" : negative.strip());
        }
        if (model.pipeline().classes().conditional()) {
            long[] ids = r.classes();
            s.addProperty("class", ids == null ? "all" : String.join(",", java.util.Arrays.stream(ids).mapToObj(Long::toString).toList()));
            s.addProperty("class_name", ids == null ? "all" : String.join(", ",
                    java.util.Arrays.stream(ids).mapToObj(model.pipeline().classes()::name).toList()));
        }
        s.addProperty("sampler", r.sampler() == null ? DiffusionPipeline.DEFAULT_SAMPLER : r.sampler());
        s.addProperty("steps", steps);
        Double w = r.guidance() != null ? r.guidance() : model.pipeline().defaultGuidance();
        if (w != null) {
            s.addProperty("guidance", w);
        }
        s.addProperty("seed", r.seed());
        s.addProperty("n", r.n());
        return s;
    }

    /** The field a pipeline message names by its CLI option ({@code --steps …} → steps). */
    static String fieldOf(String message) {
        for (Map.Entry<String, String> e : Map.of("--steps", "steps", "--guidance", "guidance", "--class", "class",
                "--negative-prompt", "negative_prompt", "--prompt", "prompt", "--batch", "batch", "-n ", "n").entrySet()) {
            if (message.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        if (message.startsWith("unknown sampler")) {
            return "sampler";
        }
        return message.contains("images") ? "n" : null;
    }

    /** A pipeline message with its CLI option spelled as the request field. */
    static String fieldMessage(String message) {
        String field = fieldOf(message);
        if (field == null) {
            return message;
        }
        return message.replaceFirst("^(--[a-z-]+|-n)", field);
    }

    private static String classSpec(JsonObject body) {
        JsonElement e = body.get("class");
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            return integerText(e.getAsJsonPrimitive(), "class");
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            String s = e.getAsString();
            if (s.length() > 200) {
                throw new BadRequest("class", "class is longer than 200 characters");
            }
            return s.isBlank() ? null : s;
        }
        throw new BadRequest("class", "class must be a class name, an id or a comma-separated list of them");
    }

    private static String string(JsonObject body, String field, int maxChars) {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new BadRequest(field, field + " must be a string");
        }
        String s = e.getAsString();
        if (s.length() > maxChars) {
            throw new BadRequest(field, field + " is " + s.length() + " characters long; the cap is " + maxChars);
        }
        return s;
    }

    private static double number(JsonObject body, String field) {
        JsonElement e = body.get(field);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new BadRequest(field, field + " must be a number");
        }
        return e.getAsDouble();
    }

    private static int integer(JsonObject body, String field, int fallback, int min, int max) {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        long v = Long.parseLong(integerText(e, field));
        if (v < min || v > max) {
            throw new BadRequest(field, field + " must be in [" + min + ", " + max + "], got " + v);
        }
        return (int) v;
    }

    private static long longInteger(JsonObject body, String field, long fallback) {
        JsonElement e = body.get(field);
        return e == null || e.isJsonNull() ? fallback : Long.parseLong(integerText(e, field));
    }

    /** The decimal text of a JSON integer, or a refusal naming the field. */
    private static String integerText(JsonElement e, String field) {
        if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
            throw new BadRequest(field, field + " must be an integer");
        }
        try {
            return new BigDecimal(e.getAsString()).toBigIntegerExact().longValueExact() + "";
        } catch (ArithmeticException | NumberFormatException x) {
            throw new BadRequest(field, field + " must be an integer, got " + e.getAsString());
        }
    }
}
