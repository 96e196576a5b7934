package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLIP tokenizer against transformers' CLIPTokenizer on the fixture's vocabulary (595 tokens, 81 merges):
 * every case of {@code reference/tokenizer_cases.json} — tokens, ids, padded ids and attention mask.
 */
class ClipTokenizerTest {

    static final Path FIXTURE = Path.of("src/test/resources/fixtures/diffusers-t2i");

    static ClipTokenizer fixtureTokenizer() throws IOException {
        return ClipTokenizerFolder.load(FIXTURE.resolve("tokenizer"));
    }

    @Test
    void everyCaseIsTokenizedAsTransformersDoes() throws IOException {
        ClipTokenizer tok = fixtureTokenizer();
        JsonObject ref = JsonParser.parseString(Files.readString(FIXTURE.resolve("reference/tokenizer_cases.json"))).getAsJsonObject();
        assertEquals(ref.get("model_max_length").getAsInt(), tok.maxLength());
        assertEquals(ref.get("bos_token_id").getAsInt(), tok.startId());
        assertEquals(ref.get("eos_token_id").getAsInt(), tok.endId());
        assertEquals(ref.get("pad_token_id").getAsInt(), tok.padId());
        JsonArray cases = ref.getAsJsonArray("cases");
        assertEquals(8, cases.size());
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            String text = c.get("text").getAsString();
            List<String> tokens = new ArrayList<>();
            c.getAsJsonArray("tokens").forEach(t -> tokens.add(t.getAsString()));
            List<String> expected = tokens.subList(1, tokens.size() - 1); // without <|startoftext|> … <|endoftext|>
            List<String> ours = tok.tokenize(text);
            if (tokens.size() == tok.maxLength() && ours.size() > expected.size()) {
                ours = ours.subList(0, expected.size()); // the fixture lists the tokens of the truncated encoding
            }
            assertEquals(expected, ours, text);
            int[] ids = ints(c.getAsJsonArray("input_ids"));
            int[] withSpecials = new int[tok.ids(text).length + 2];
            withSpecials[0] = tok.startId();
            System.arraycopy(tok.ids(text), 0, withSpecials, 1, withSpecials.length - 2);
            withSpecials[withSpecials.length - 1] = tok.endId();
            if (withSpecials.length <= tok.maxLength()) { // a longer text is checked truncated, below
                assertArrayEquals(ids, withSpecials, text);
            }
            assertArrayEquals(ints(c.getAsJsonArray("input_ids_padded")), tok.encode(text), text + " (padded, truncated)");
            assertArrayEquals(ints(c.getAsJsonArray("attention_mask_padded")), tok.attentionMask(text), text + " (mask)");
        }
    }

    @Test
    void digitsAreOneTokenEachAndSpecialTokensInTheTextStayWhole() throws IOException {
        ClipTokenizer tok = fixtureTokenizer();
        // CLIP's pattern splits numbers digit by digit ([\p{N}]), a known slip of a Java port
        assertEquals(List.of("1</w>", "2</w>", "3</w>"), tok.tokenize("123"));
        List<String> t = tok.tokenize("red" + ClipTokenizer.END + "blue");
        assertEquals(List.of("red</w>", ClipTokenizer.END, "blue</w>"), t);
    }

    @Test
    void aLongPromptIsCutKeepingTheEndToken() throws IOException {
        ClipTokenizer tok = fixtureTokenizer();
        int[] ids = tok.encode("red ".repeat(40));
        assertEquals(16, ids.length);
        assertEquals(tok.startId(), ids[0]);
        assertEquals(tok.endId(), ids[15]);
    }

    @Test
    void aBrokenFolderIsRefusedNamingTheFile(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("vocab.json"), "{\"a</w>\": 0, \"" + ClipTokenizer.START + "\": 1, \"" + ClipTokenizer.END + "\": 2}");
        Files.writeString(tmp.resolve("merges.txt"), "#version: 0.2\na b c\n");
        IOException e = assertThrows(IOException.class, () -> ClipTokenizerFolder.load(tmp));
        assertEquals(true, e.getMessage().contains("merges.txt: line 2"), e.getMessage());
        Files.writeString(tmp.resolve("merges.txt"), "#version: 0.2\n");
        Files.writeString(tmp.resolve("vocab.json"), "{\"a</w>\": \"zero\"}");
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> ClipTokenizerFolder.load(tmp));
        assertEquals(true, v.getMessage().contains("vocab.json") && v.getMessage().contains("a</w>"), v.getMessage());
        Files.writeString(tmp.resolve("vocab.json"), "{\"a</w>\": 0}");
        e = assertThrows(IOException.class, () -> ClipTokenizerFolder.load(tmp));
        assertEquals(true, e.getMessage().contains(ClipTokenizer.START), e.getMessage());
    }

    @Test
    void aSavedTokenizerReadsBackTheSame(@TempDir Path tmp) throws IOException {
        ClipTokenizer tok = fixtureTokenizer();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        JsonObject v = JsonParser.parseString(Files.readString(FIXTURE.resolve("tokenizer/vocab.json"))).getAsJsonObject();
        v.entrySet().forEach(e -> vocab.put(e.getKey(), e.getValue().getAsInt()));
        List<String[]> merges = new ArrayList<>();
        List<String> lines = Files.readAllLines(FIXTURE.resolve("tokenizer/merges.txt"));
        lines.subList(1, lines.size()).forEach(l -> merges.add(l.split(" ")));
        ClipTokenizerFolder.save(tmp, vocab, merges, 16);
        ClipTokenizer back = ClipTokenizerFolder.load(tmp);
        String text = "a small green triangle, left of a large yellow cross";
        assertArrayEquals(tok.encode(text), back.encode(text));
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }
}
