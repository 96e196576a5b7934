package org.diffusion4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.pipeline.ModelClasses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tables of requests read from .jsonl and .csv files: the rows, and every mistake named by file, line and column. */
class RequestTableTest {

    static final RequestTable.Model CLASSES = new RequestTable.Model(false, new ModelClasses(11, Datasets.FASHION_MNIST_CLASSES));
    static final RequestTable.Model TEXT = new RequestTable.Model(true, ModelClasses.UNCONDITIONAL);
    static final RequestTable.Model UNCONDITIONAL = new RequestTable.Model(false, ModelClasses.UNCONDITIONAL);

    @TempDir
    Path tmp;

    Path file(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text);
    }

    String error(String name, String text, RequestTable.Model model) throws IOException {
        Path f = file(name, text);
        String m = assertThrows(IllegalArgumentException.class, () -> RequestTable.read(f, model)).getMessage();
        assertTrue(m.startsWith(f.toString()), m);
        assertTrue(!m.contains("\n"), "one line: " + m);
        return m;
    }

    @Test
    void jsonLinesAndCsvGiveTheSameRowsSortedByIndex() throws IOException {
        List<Request> json = RequestTable.read(file("r.jsonl", """
                {"index": 2, "class": "sneaker"}

                {"index": 0, "class": 3, "seed": 7}
                {"index": 1, "class": "Ankle boot", "seed": null}
                """), CLASSES);
        List<Request> csv = RequestTable.read(file("r.csv", "index,class,seed\n2,sneaker,\n0,3,7\n1,\"Ankle boot\",\n"), CLASSES);
        List<Request> expected = List.of(new Request(0, null, 3L, 7L), new Request(1, null, 9L, null), new Request(2, null, 7L, null));
        assertEquals(expected, json);
        assertEquals(expected, csv);
        List<Request> text = RequestTable.read(file("t.csv", "prompt,index\n\"a red, round circle\",1\n\"say \"\"hi\"\"\",0\n"), TEXT);
        assertEquals(List.of(new Request(0, "say \"hi\"", null, null), new Request(1, "a red, round circle", null, null)), text);
        assertEquals(List.of(new Request(5, null, null, -1L)), RequestTable.read(file("u.jsonl", "{\"index\": 5, \"seed\": -1}\n"),
                UNCONDITIONAL));
    }

    @Test
    void mistakesNameTheFileTheLineAndTheColumn() throws IOException {
        String m = error("a.jsonl", "{\"index\": 0, \"class\": 1}\n{\"class\": 2}\n", CLASSES);
        assertTrue(m.contains("a.jsonl:2: column 'index' is missing"), m);
        m = error("b.jsonl", "{\"index\": 0, \"class\": 1}\n\n{\"index\": 0, \"class\": 2}\n", CLASSES);
        assertTrue(m.contains("b.jsonl:3: column 'index': 0 is also at ") && m.contains("b.jsonl:1") && m.contains("sample_00000.png"), m);
        m = error("c.jsonl", "{\"index\": 0, \"prompt\": \"a red circle\"}\n", CLASSES);
        assertTrue(m.contains("c.jsonl:1: column 'prompt': the model is class-conditional") && m.contains("give 'class'"), m);
        m = error("d.csv", "index,class\n0,bag\n1,spaceship\n", CLASSES);
        assertTrue(m.contains("d.csv:3: column 'class': 'spaceship'") && m.contains("Sneaker"), m);
        m = error("e.jsonl", "{\"index\": 0, \"class\": 1}\n{\"index\": 1, \"class\": 2\n", CLASSES);
        assertTrue(m.contains("e.jsonl:2: malformed JSON"), m);
        m = error("f.csv", "index,prompt\n0,\"a red circle\n", TEXT);
        assertTrue(m.contains("f.csv:2: a quoted cell is not closed"), m);
        m = error("g.csv", "index,prompt\n0,a red circle,7\n", TEXT);
        assertTrue(m.contains("g.csv:2: 3 cells but the header has 2 columns"), m);
        m = error("h.jsonl", "{\"index\": -1, \"prompt\": \"x\"}\n", TEXT);
        assertTrue(m.contains("h.jsonl:1: column 'index' is -1; it must be in [0, "), m);
        m = error("i.jsonl", "{\"index\": 1.5, \"prompt\": \"x\"}\n", TEXT);
        assertTrue(m.contains("h.jsonl".replace('h', 'i') + ":1: column 'index' is 1.5, not an integer"), m);
        m = error("j.jsonl", "{\"index\": 0}\n", TEXT);
        assertTrue(m.contains("j.jsonl:1: column 'prompt' is missing; the model is text-conditional"), m);
        m = error("k.jsonl", "{\"index\": 0, \"promt\": \"x\"}\n", TEXT);
        assertTrue(m.contains("k.jsonl:1: unknown column 'promt'"), m);
        m = error("l.csv", "prompt,seed\nx,1\n", TEXT);
        assertTrue(m.contains("l.csv:1: the header has no column 'index'"), m);
        m = error("m.jsonl", "{\"index\": 0, \"class\": \"bag\"}\n", TEXT);
        assertTrue(m.contains("m.jsonl:1: column 'class': the model is text-conditional") && m.contains("give 'prompt'"), m);
        m = error("n.jsonl", "[0, \"x\"]\n", TEXT);
        assertTrue(m.contains("n.jsonl:1: not a JSON object"), m);
        m = error("o.csv", "index,class\n0,\"bag,sneaker\"\n", CLASSES);
        assertTrue(m.contains("o.csv:2: column 'class' is 'bag,sneaker'; one class per request"), m);
        m = error("p.jsonl", "\n", TEXT);
        assertTrue(m.contains("no requests"), m);
        m = error("q.txt", "0\n", TEXT);
        assertTrue(m.contains(".jsonl") && m.contains(".csv"), m);
        assertThrows(NoSuchFileException.class, () -> RequestTable.read(tmp.resolve("none.jsonl"), TEXT));
    }

    @Test
    void slicesGroupRowsBySeedAndRunsOfConsecutiveIndicesWithinABatchCell() {
        // indices 0..9 with the run's seed: exactly the batch grid
        List<Request> dense = new java.util.ArrayList<>();
        for (int i = 9; i >= 0; i--) {
            dense.add(new Request(i, "p" + i, null, i == 3 ? 5L : null)); // seed 5 = the run's: the same group
        }
        dense.sort(java.util.Comparator.comparingInt(Request::index));
        List<Slice> s = Slice.ofRequests(dense, 5, 4);
        assertEquals(List.of(0, 4, 8), s.stream().map(Slice::first).toList());
        assertEquals(List.of(4, 4, 2), s.stream().map(Slice::count).toList());
        assertEquals(List.of("p4", "p5", "p6", "p7"), s.get(1).prompts());
        assertEquals(null, s.get(0).seed());
        // gaps, a cell boundary, and rows of their own seed
        List<Request> sparse = List.of(new Request(1, null, 0L, null), new Request(2, null, 1L, null), new Request(3, null, 2L, null),
                new Request(4, null, 3L, null), new Request(6, null, 4L, null), new Request(7, null, 5L, 42L), new Request(8, null, 6L, 42L));
        List<Slice> t = Slice.ofRequests(sparse, 0, 4);
        assertEquals(List.of(new Slice(1, 3, null, null, List.of(0L, 1L, 2L)), new Slice(4, 1, null, null, List.of(3L)),
                new Slice(6, 1, null, null, List.of(4L)), new Slice(7, 1, 42L, null, List.of(5L)), new Slice(8, 1, 42L, null, List.of(6L))), t);
        // image first + j finds its value at (first + j) mod count, as a request's cycled list
        assertEquals(List.of("c", "a", "b"), Slice.rotated(List.of("a", "b", "c"), 7));
    }
}
