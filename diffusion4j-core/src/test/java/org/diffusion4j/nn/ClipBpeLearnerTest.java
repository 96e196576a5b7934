package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.diffusion4j.data.Shapes;
import org.junit.jupiter.api.Test;

/** BPE learnt from captions: CLIP's vocabulary layout, whole words as single tokens, and deterministic. */
class ClipBpeLearnerTest {

    static final List<String> WORDS = List.of("a", "an", "the", "red", "green", "blue", "yellow", "white", "magenta", "cyan",
            "small", "large", "big", "circle", "square", "triangle", "cross", "left", "right", "above", "below", "of", "to",
            "and", "next", "black", "on", "in", "with");

    @Test
    void theVocabularyIsLaidOutAsClipsAndMatchesTheFixturesByteTokens() throws IOException {
        ClipBpeLearner.Vocabulary v = ClipBpeLearner.learn(WORDS, 595);
        Map<String, Integer> fixture = new java.util.HashMap<>();
        JsonParser.parseString(Files.readString(ClipTokenizerTest.FIXTURE.resolve("tokenizer/vocab.json"))).getAsJsonObject()
                .entrySet().forEach(e -> fixture.put(e.getKey(), e.getValue().getAsInt()));
        for (Map.Entry<String, Integer> e : fixture.entrySet()) {
            if (e.getValue() < 512) {
                assertEquals(e.getValue(), v.vocab().get(e.getKey()), "byte token " + e.getKey());
            }
        }
        assertEquals(v.vocab().size() - 2, v.vocab().get(ClipTokenizer.START));
        assertEquals(v.vocab().size() - 1, v.vocab().get(ClipTokenizer.END));
        assertEquals(v.vocab().size(), new HashSet<>(v.vocab().values()).size(), "ids are distinct");
        assertTrue(v.vocab().size() <= 595);
        // with enough merges every word is one token, as with the fixture's tokenizer
        ClipTokenizer tok = new ClipTokenizer(v.vocab(), v.merges(), 16, ClipTokenizer.END);
        for (String w : WORDS) {
            assertEquals(List.of(w + "</w>"), tok.tokenize(w), w);
        }
    }

    @Test
    void shapesCaptionsBecomeShortTokenSequencesAndLearningIsDeterministic() {
        List<String> captions = Shapes.evaluationPrompts(200);
        ClipBpeLearner.Vocabulary a = ClipBpeLearner.learn(captions, 700);
        ClipBpeLearner.Vocabulary b = ClipBpeLearner.learn(captions, 700);
        assertEquals(a.vocab(), b.vocab());
        ClipTokenizer tok = new ClipTokenizer(a.vocab(), a.merges(), 16, ClipTokenizer.END);
        for (String c : captions) {
            assertEquals(c.split(" ").length, tok.tokenize(c).size(), "one token per word: " + c);
        }
        assertThrows(IllegalArgumentException.class, () -> ClipBpeLearner.learn(captions, 100));
    }
}
