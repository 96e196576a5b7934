import org.diffusion4j.data.ImageFiles;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.eval.ShapesAnalyzer;
import java.nio.file.*;
import java.util.*;
// The relation read the other way round: the scene with the two objects swapped in the caption's relation.
Shapes.Relation opposite(Shapes.Relation r) {
    return switch (r) { case LEFT -> Shapes.Relation.RIGHT; case RIGHT -> Shapes.Relation.LEFT; case ABOVE -> Shapes.Relation.BELOW; case BELOW -> Shapes.Relation.ABOVE; };
}
int per = Integer.getInteger("diag.per", 4);
var prompts = Files.readAllLines(Path.of(System.getProperty("diag.dir"), "prompts.txt"));
var files = new ArrayList<Path>();
try (var st = Files.list(Path.of(System.getProperty("diag.dir"), "img"))) { st.sorted().forEach(files::add); }
int[] hist = new int[5];
int parts = 0, bound = 0, rel = 0, mirrored = 0, twoNoParts = 0, wrongColour = 0, wrongShape = 0;
var relRight = new TreeMap<Shapes.Relation, int[]>();
for (int i = 0; i < files.size(); i++) {
    var image = ImageFiles.read(files.get(i), ImageFiles.DEFAULT_MAX_SIDE);
    int s = image.width();
    var scene = Shapes.parseCaption(prompts.get(i / per), s);
    var found = ShapesAnalyzer.analyze(image.planes(), 0, s);
    hist[Math.min(found.size(), 4)]++;
    var v = ShapesAnalyzer.judge(scene, image.planes(), 0, s);
    if (v.parts()) parts++;
    if (found.size() == 2 && !v.parts()) {
        twoNoParts++;
        if (!found.stream().map(d -> d.colour()).sorted().toList().equals(scene.items().stream().map(it -> it.colour()).sorted().toList())) wrongColour++;
        if (!found.stream().map(d -> d.shape()).sorted().toList().equals(scene.items().stream().map(it -> it.shape()).sorted().toList())) wrongShape++;
    }
    if (v.objects()) {
        bound++;
        int[] r = relRight.computeIfAbsent(scene.relation(), k -> new int[2]);
        r[1]++;
        if (v.relation()) { rel++; r[0]++; }
        else if (ShapesAnalyzer.judge(new Shapes.Scene(scene.items(), opposite(scene.relation()), scene.caption()), image.planes(), 0, s).relation()) mirrored++;
    }
}
System.out.printf("images %d; objects found 0/1/2/3/4+: %s%n", files.size(), Arrays.toString(hist));
System.out.printf("parts %d, bound %d, relation %d; of bound without the relation: mirrored (right axis, wrong sign) %d, other axis %d%n", parts, bound, rel, mirrored, bound - rel - mirrored);
System.out.printf("two objects found but not the parts: %d (colours wrong %d, shapes wrong %d)%n", twoNoParts, wrongColour, wrongShape);
relRight.forEach((k, v) -> System.out.printf("  %s: relation right %d of %d bound%n", k, v[0], v[1]));
/exit
