package org.diffusion4j.sampling;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * The sampler registry: name → factory. Adding a sampler is one line in the static block below.
 * Names are lower case, as the CLI's {@code --sampler} option takes them.
 */
public final class Samplers {

    /** Makes a sampler for a schedule and options; typically a constructor reference. */
    @FunctionalInterface
    public interface Factory {
        Sampler create(NoiseSchedule schedule, SamplerOptions options);
    }

    private static final Map<String, Factory> FACTORIES;
    private static final Set<String> EDITING;

    static {
        Map<String, Factory> m = new LinkedHashMap<>();
        m.put("ddpm", Ddpm::new);
        m.put("ddim", Ddim::new);
        m.put("euler", Euler::new);
        m.put("heun", Heun::new);
        m.put("dpm-solver++", DpmSolverPP::new);
        m.put("euler-maruyama", EulerMaruyama::new);
        m.put("pc", PredictorCorrector::new);
        m.put("langevin", Langevin::new);
        FACTORIES = Collections.unmodifiableMap(m);
        EDITING = Set.of("ddpm", "ddim", "euler", "heun", "dpm-solver++");
    }

    private Samplers() {}

    /** The registered names, in registration order. */
    public static Set<String> names() {
        return FACTORIES.keySet();
    }

    /** The factory registered under {@code name} (case-insensitive). */
    public static Factory factory(String name) {
        Factory f = FACTORIES.get(name.trim().toLowerCase(Locale.ROOT));
        if (f == null) {
            throw new IllegalArgumentException("unknown sampler \"" + name + "\"; use one of " + names());
        }
        return f;
    }

    /** Whether the sampler {@code name} can start from a noised image ({@link Sampler#edits()}: SDEdit, inpainting). */
    public static boolean edits(String name) {
        return EDITING.contains(name.trim().toLowerCase(Locale.ROOT));
    }

    /** A new sampler by name. */
    public static Sampler create(String name, NoiseSchedule schedule, SamplerOptions options) {
        return factory(name).create(schedule, options);
    }
}
