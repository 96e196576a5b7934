import org.diffusion4j.data.ImageFiles;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.eval.ShapesAnalyzer;
import java.nio.file.*;
import java.util.*;
// Image k of img/ and of swapped/ share their starting noise; their prompts differ only in the objects' order.
// side(): which way object a stands from object b along the axis of the relation (+1 or -1), 0 when not both found.
int side(ShapesAnalyzer.Detected[] m, Shapes.Relation r) {
    if (m[0] == null || m[1] == null) return 0;
    double d = (r == Shapes.Relation.LEFT || r == Shapes.Relation.RIGHT) ? m[0].centreX() - m[1].centreX() : m[0].centreY() - m[1].centreY();
    return d < 0 ? -1 : 1;
}
ShapesAnalyzer.Detected[] match(List<ShapesAnalyzer.Detected> found, Shapes.Scene scene) {
    var m = new ShapesAnalyzer.Detected[2];
    if (found.size() != 2) return m;
    for (int i = 0; i < 2; i++) {
        var it = scene.items().get(i);
        for (var d : found) if (d.colour() == it.colour() && d.shape() == it.shape() && d != m[0]) { m[i] = d; break; }
    }
    return m;
}
List<Path> list(String sub) throws Exception {
    try (var st = Files.list(Path.of(System.getProperty("diag.dir"), sub))) { return st.sorted().toList(); }
}
int per = Integer.getInteger("diag.per", 4);
var prompts = Files.readAllLines(Path.of(System.getProperty("diag.dir"), "prompts.txt"));
var a = list("img");
var b = list("swapped");
int both = 0, flipped = 0, rightP = 0, rightS = 0, rightBoth = 0;
double diff = 0;
for (int k = 0; k < a.size(); k++) {
    var ia = ImageFiles.read(a.get(k), ImageFiles.DEFAULT_MAX_SIDE);
    var ib = ImageFiles.read(b.get(k), ImageFiles.DEFAULT_MAX_SIDE);
    int s = ia.width();
    byte[] pa = ia.planes(), pb = ib.planes();
    long sum = 0;
    for (int i = 0; i < pa.length; i++) sum += Math.abs((pa[i] & 0xff) - (pb[i] & 0xff));
    diff += sum / (double) pa.length / 255.0;
    var scene = Shapes.parseCaption(prompts.get(k / per), s);
    var ma = match(ShapesAnalyzer.analyze(pa, 0, s), scene);
    var mb = match(ShapesAnalyzer.analyze(pb, 0, s), scene);
    int sa = side(ma, scene.relation()), sb = side(mb, scene.relation());
    if (sa == 0 || sb == 0) continue;
    both++;
    if (sa != sb) flipped++;
    // The caption's relation holds for a against b with sign -1 for LEFT/ABOVE, +1 for RIGHT/BELOW.
    int want = (scene.relation() == Shapes.Relation.LEFT || scene.relation() == Shapes.Relation.ABOVE) ? -1 : 1;
    if (sa == want) rightP++;
    if (sb == -want) rightS++;
    if (sa == want && sb == -want) rightBoth++;
}
System.out.printf("pairs %d (same noise, prompt vs the same words with the objects swapped); mean |difference| %.3f of full scale%n", a.size(), diff / a.size());
System.out.printf("both images show the two named objects: %d; the objects' order along the relation's axis flips with the words: %d (%.0f %%)%n", both, flipped, 100.0 * flipped / Math.max(both, 1));
System.out.printf("  on the asked side: prompt %d, swapped prompt %d, both %d of %d%n", rightP, rightS, rightBoth, both);
/exit
