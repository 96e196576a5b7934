import org.diffusion4j.data.Shapes;
import org.diffusion4j.eval.ShapesAnalyzer;
import java.nio.file.*;
import java.util.*;
int s = Integer.getInteger("diag.size", 32), per = Integer.getInteger("diag.per", 4);
var prompts = Files.readAllLines(Path.of(System.getProperty("diag.dir"), "prompts.txt"));
var files = new ArrayList<Path>();
try (var st = Files.list(Path.of(System.getProperty("diag.dir"), "img"))) { st.sorted().forEach(files::add); }
int[] hist = new int[5];
int parts = 0, bound = 0, rel = 0, swapped = 0, sideways = 0, twoNoParts = 0, wrongColour = 0, wrongShape = 0;
var relRight = new TreeMap<String, int[]>();
for (int i = 0; i < files.size(); i++) {
    var im = javax.imageio.ImageIO.read(files.get(i).toFile());
    byte[] planes = new byte[3 * s * s];
    for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) { int rgb = im.getRGB(x, y); planes[y * s + x] = (byte) ((rgb >> 16) & 255); planes[s * s + y * s + x] = (byte) ((rgb >> 8) & 255); planes[2 * s * s + y * s + x] = (byte) (rgb & 255); }
    var scene = Shapes.parseCaption(prompts.get(i / per), s);
    var found = ShapesAnalyzer.analyze(planes, 0, s);
    hist[Math.min(found.size(), 4)]++;
    var v = ShapesAnalyzer.judge(scene, planes, 0, s);
    if (v.parts()) parts++;
    if (found.size() == 2 && !v.parts()) {
        twoNoParts++;
        var fc = found.stream().map(d -> d.colour()).sorted().toList(); var ac = scene.items().stream().map(it -> it.colour()).sorted().toList();
        var fs = found.stream().map(d -> d.shape()).sorted().toList(); var as = scene.items().stream().map(it -> it.shape()).sorted().toList();
        if (!fc.equals(ac)) wrongColour++;
        if (!fs.equals(as)) wrongShape++;
    }
    if (v.objects()) {
        bound++;
        var a = scene.items().get(0); var b = scene.items().get(1);
        ShapesAnalyzer.Detected da = null, db = null;
        for (var d : found) { if (d.colour() == a.colour() && d.shape() == a.shape() && da == null) da = d; else if (d.colour() == b.colour() && d.shape() == b.shape()) db = d; }
        double dx = da.centreX() - db.centreX(), dy = da.centreY() - db.centreY();
        String r = scene.relation().name();
        relRight.computeIfAbsent(r, k -> new int[2])[1]++;
        if (v.relation()) { rel++; relRight.get(r)[0]++; }
        else {
            boolean horizontal = r.equals("LEFT") || r.equals("RIGHT");
            boolean domH = Math.abs(dx) > Math.abs(dy);
            if (horizontal == domH) swapped++; else sideways++;
        }
    }
}
System.out.printf("images %d; objects found 0/1/2/3/4+: %s%n", files.size(), Arrays.toString(hist));
System.out.printf("parts %d, bound %d, relation %d; of bound without the relation: mirrored (right axis, wrong sign) %d, other axis %d%n", parts, bound, rel, swapped, sideways);
System.out.printf("two objects found but not the parts: %d (colours wrong %d, shapes wrong %d)%n", twoNoParts, wrongColour, wrongShape);
relRight.forEach((k, v) -> System.out.printf("  %s: relation right %d of %d bound%n", k, v[0], v[1]));
/exit
