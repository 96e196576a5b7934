import org.diffusion4j.data.Shapes;
var all = Shapes.evaluationPrompts(42);
java.nio.file.Files.write(java.nio.file.Path.of(System.getProperty("diag.dir") + "/prompts.txt"), all.subList(42, all.size()));
/exit
