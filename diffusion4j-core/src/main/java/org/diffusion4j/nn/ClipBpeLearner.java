package org.diffusion4j.nn;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Learns a CLIP byte-level BPE vocabulary from captions (Sennrich et al. 2016): the captions are cleaned and split
 * exactly as {@link ClipTokenizer} splits them, each piece's bytes become symbols with {@code </w>} on the last, and
 * the most frequent adjacent pair is merged, again and again (ties: the lexicographically smallest pair, so the
 * result is deterministic), until the vocabulary is full or every piece is one symbol.
 *
 * <p>The vocabulary is laid out as CLIP's: the 256 byte symbols in GPT-2's order, the same with {@code </w>}, one
 * token per merge, then {@code <|startoftext|>} and {@code <|endoftext|>}.
 */
public final class ClipBpeLearner {

    /** The result: token → id and the merges in rank order. */
    public record Vocabulary(Map<String, Integer> vocab, List<String[]> merges) {}

    private ClipBpeLearner() {}

    /**
     * Learns at most {@code maxVocab − 514} merges from {@code captions}.
     *
     * @param maxVocab the vocabulary size limit, at least 514 (bytes, bytes with {@code </w>}, two special tokens)
     */
    public static Vocabulary learn(List<String> captions, int maxVocab) {
        if (maxVocab < 514) {
            throw new IllegalArgumentException("the vocabulary needs at least 514 tokens (512 byte symbols and 2 special), got "
                    + maxVocab);
        }
        Map<List<String>, Integer> words = new HashMap<>();
        for (String caption : captions) {
            for (String piece : ClipTokenizer.pieces(caption)) {
                List<String> symbols = new ArrayList<>();
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    symbols.add(ClipTokenizer.byteSymbol(b));
                }
                symbols.set(symbols.size() - 1, symbols.get(symbols.size() - 1) + ClipTokenizer.WORD_END);
                words.merge(symbols, 1, Integer::sum);
            }
        }
        List<String[]> merges = new ArrayList<>();
        while (merges.size() < maxVocab - 514) {
            TreeMap<String, Integer> pairs = new TreeMap<>();
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                List<String> s = w.getKey();
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairs.merge(s.get(i) + " " + s.get(i + 1), w.getValue(), Integer::sum);
                }
            }
            if (pairs.isEmpty()) {
                break;
            }
            String best = null;
            int bestCount = 0;
            for (Map.Entry<String, Integer> p : pairs.entrySet()) { // sorted: the first of equal counts wins
                if (p.getValue() > bestCount) {
                    best = p.getKey();
                    bestCount = p.getValue();
                }
            }
            String[] pair = best.split(" ");
            merges.add(pair);
            Map<List<String>, Integer> merged = new HashMap<>();
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                merged.merge(merge(w.getKey(), pair[0], pair[1]), w.getValue(), Integer::sum);
            }
            words = merged;
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(ClipTokenizer.byteSymbol(byteInGpt2Order(b)), vocab.size());
        }
        for (int b = 0; b < 256; b++) {
            vocab.put(ClipTokenizer.byteSymbol(byteInGpt2Order(b)) + ClipTokenizer.WORD_END, vocab.size());
        }
        for (String[] m : merges) {
            vocab.putIfAbsent(m[0] + m[1], vocab.size());
        }
        vocab.put(ClipTokenizer.START, vocab.size());
        vocab.put(ClipTokenizer.END, vocab.size());
        return new Vocabulary(vocab, merges);
    }

    private static List<String> merge(List<String> s, String first, String second) {
        List<String> out = new ArrayList<>(s.size());
        for (int i = 0; i < s.size(); i++) {
            if (i + 1 < s.size() && s.get(i).equals(first) && s.get(i + 1).equals(second)) {
                out.add(first + second);
                i++;
            } else {
                out.add(s.get(i));
            }
        }
        return out;
    }

    /** GPT-2's vocabulary lists the printable bytes first ('!'..'~', '¡'..'¬', '®'..'ÿ'), then the others. */
    private static int byteInGpt2Order(int k) {
        int[] order = GPT2_ORDER;
        return order[k];
    }

    private static final int[] GPT2_ORDER = gpt2Order();

    private static int[] gpt2Order() {
        int[] out = new int[256];
        int n = 0;
        boolean[] used = new boolean[256];
        int[][] ranges = {{'!', '~'}, {0xA1, 0xAC}, {0xAE, 0xFF}};
        for (int[] r : ranges) {
            for (int b = r[0]; b <= r[1]; b++) {
                out[n++] = b;
                used[b] = true;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (!used[b]) {
                out[n++] = b;
            }
        }
        return Arrays.copyOf(out, 256);
    }
}
