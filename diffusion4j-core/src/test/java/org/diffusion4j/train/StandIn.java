package org.diffusion4j.train;

/** Scratch access for bench.TinyTiming. */
public final class StandIn {
    public static void soak(int steps) throws Exception {
        try (DiffusionTrainerTest.Run run = new DiffusionTrainerTest.Run(DiffusionTrainerTest.configBuilder(4).build(), null)) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < steps / 100; i++) {
                run.losses(100);
                System.gc();
                sb.append(MemoryTest.residentKb() / 1024).append(' ');
            }
            System.out.println("VmRSS MB every 100 steps: " + sb);
        }
    }

    public static void run(int steps) {
        try (DiffusionTrainerTest.Run run = new DiffusionTrainerTest.Run(DiffusionTrainerTest.configBuilder(1).build(), null)) {
            run.losses(20);
            var bean = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = bean.getProcessCpuTime();
            long t0 = System.nanoTime();
            run.losses(steps);
            System.out.printf("%d steps: wall %.1f ms/step, process cpu %.1f ms/step%n", steps, (System.nanoTime() - t0) / 1e6 / steps,
                    (bean.getProcessCpuTime() - cpu0) / 1e6 / steps);
            System.out.println(run.trainer.phaseSeconds());
        }
    }
}
