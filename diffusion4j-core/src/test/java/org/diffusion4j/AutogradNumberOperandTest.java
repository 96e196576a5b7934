package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * No {@code NDArray.mul/div/pow/maximum/minimum(Number)} (nor their in-place forms) in the
 * packages where autograd records — the networks, the diffusion losses, the trainer: DJL backs the
 * number with a Java buffer it frees at once while autograd keeps it for the backward pass (see
 * {@link org.diffusion4j.diffusion.Scalar}). The check compiles the main sources and looks at the
 * argument's type, so it catches {@code x.mul(s)} with {@code double s} as well as literals.
 * Addition and subtraction are allowed: their backward pass never reads the operand.
 */
class AutogradNumberOperandTest {

    private static final Set<String> PACKAGES = Set.of("nn", "diffusion", "train");
    private static final Set<String> OPERATIONS = Set.of("mul", "div", "pow", "maximum", "minimum", "muli", "divi",
            "powi", "maximumi", "minimumi");
    /** Optimizer, EMA and clipping updates run after the backward pass, with autograd off. */
    private static final Set<String> ALLOWED_FILES = Set.of("AdamW.java", "Ema.java", "GradientClipping.java");

    @Test
    void noNumberOperandWhereAutogradRecords() throws IOException {
        Path root = Path.of("src/main/java/org/diffusion4j");
        List<Path> sources = new ArrayList<>();
        for (String pkg : PACKAGES) {
            try (Stream<Path> files = Files.walk(root.resolve(pkg))) {
                files.filter(f -> f.toString().endsWith(".java"))
                        .filter(f -> !ALLOWED_FILES.contains(f.getFileName().toString())).forEach(sources::add);
            }
        }
        assertTrue(sources.size() > 20, "found the sources under " + root.toAbsolutePath());
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        List<String> found = new ArrayList<>();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(null, null, null)) {
            JavacTask task = (JavacTask) compiler.getTask(null, files, null,
                    List.of("-proc:none", "-classpath", System.getProperty("java.class.path")), null,
                    files.getJavaFileObjectsFromPaths(sources));
            Iterable<? extends CompilationUnitTree> units = task.parse();
            task.analyze();
            Trees trees = Trees.instance(task);
            Types types = task.getTypes();
            Elements elements = task.getElements();
            TypeMirror ndArray = elements.getTypeElement("ai.djl.ndarray.NDArray").asType();
            TypeMirror number = elements.getTypeElement("java.lang.Number").asType();
            for (CompilationUnitTree unit : units) {
                new TreePathScanner<Void, Void>() {
                    @Override
                    public Void visitMethodInvocation(MethodInvocationTree call, Void unused) {
                        if (call.getMethodSelect() instanceof MemberSelectTree select
                                && OPERATIONS.contains(select.getIdentifier().toString())
                                && call.getArguments().size() == 1) {
                            TypeMirror receiver = trees.getTypeMirror(new TreePath(getCurrentPath(), select.getExpression()));
                            TypeMirror argument = trees.getTypeMirror(new TreePath(getCurrentPath(), call.getArguments().get(0)));
                            if (receiver != null && argument != null && types.isAssignable(receiver, ndArray)
                                    && (argument.getKind().isPrimitive() || argument.getKind() == TypeKind.DECLARED
                                            && types.isAssignable(argument, number))) {
                                long line = unit.getLineMap().getLineNumber(trees.getSourcePositions()
                                        .getStartPosition(unit, call));
                                found.add(unit.getSourceFile().getName() + ":" + line + ": " + call);
                            }
                        }
                        return super.visitMethodInvocation(call, unused);
                    }
                }.scan(unit, null);
            }
        }
        assertTrue(found.isEmpty(), "NDArray op with a Number operand where autograd records (use Scalar.of):\n"
                + String.join("\n", found));
    }
}
