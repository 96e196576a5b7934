package org.diffusion4j.nn;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer (Radford et al. 2021), token for token what transformers'
 * {@code CLIPTokenizer} gives when {@code ftfy} is not installed: text cleaned by BERT's basic
 * tokenizer (control characters dropped, whitespace collapsed, CJK characters split, NFC, lower case,
 * accents kept), split by CLIP's pattern (one digit per piece), each piece's UTF-8 bytes mapped to
 * GPT-2's printable byte alphabet, {@code </w>} on the last symbol, then merges applied by rank.
 * Encoded as {@code <|startoftext|> … <|endoftext|>}, truncated and padded to the context length.
 *
 * <p>Immutable and thread-safe. The vocabulary and merges come from a CLIPTokenizer folder
 * ({@code diffusers.ClipTokenizerFolder}) or from {@code train-clip}'s BPE learner.
 */
public final class ClipTokenizer {

    public static final String START = "<|startoftext|>";
    public static final String END = "<|endoftext|>";
    /** Marks the last symbol of a word. */
    public static final String WORD_END = "</w>";

    /** CLIP's split pattern ({@code [\p{N}]}: one digit per piece), case-insensitive like the original. */
    private static final Pattern PIECES = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private static final String[] BYTE_SYMBOL = byteSymbols();

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> ranks;
    private final int maxLength;
    private final int startId;
    private final int endId;
    private final int padId;
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab token → id ({@code vocab.json}); must hold {@value #START} and {@value #END}
     * @param merges the merge rules in rank order, each two symbols ({@code merges.txt} without its header)
     * @param maxLength the context length (transformers' {@code model_max_length}), ≥ 2
     * @param padToken the padding token (CLIP pads with {@value #END}; some models with {@code !})
     * @throws IllegalArgumentException when a special token is missing or a merge is malformed
     */
    public ClipTokenizer(Map<String, Integer> vocab, List<String[]> merges, int maxLength, String padToken) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("model_max_length must be at least 2 (start and end tokens), got " + maxLength);
        }
        for (String t : new String[] {START, END, padToken}) {
            if (!vocab.containsKey(t)) {
                throw new IllegalArgumentException("the vocabulary has no token " + t);
            }
        }
        this.vocab = Map.copyOf(vocab);
        Map<String, Integer> r = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            String[] m = merges.get(i);
            if (m.length != 2) {
                throw new IllegalArgumentException("merge " + (i + 1) + " must be two symbols, got " + Arrays.toString(m));
            }
            r.putIfAbsent(m[0] + " " + m[1], i);
        }
        this.ranks = r;
        this.maxLength = maxLength;
        this.startId = vocab.get(START);
        this.endId = vocab.get(END);
        this.padId = vocab.get(padToken);
    }

    public int maxLength() {
        return maxLength;
    }

    public int vocabSize() {
        return vocab.size();
    }

    public int startId() {
        return startId;
    }

    public int endId() {
        return endId;
    }

    public int padId() {
        return padId;
    }

    /** The BPE tokens of {@code text}, without start and end tokens (transformers' {@code tokenize}). */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        // special tokens written in the text stay whole, as transformers' added-token split does
        Matcher special = Pattern.compile(Pattern.quote(START) + "|" + Pattern.quote(END)).matcher(text);
        int from = 0;
        while (special.find()) {
            bpeWords(text.substring(from, special.start()), out);
            out.add(special.group());
            from = special.end();
        }
        bpeWords(text.substring(from), out);
        return out;
    }

    /** The ids of {@code tokenize(text)}; unknown tokens map to {@value #END} (CLIP's unk). */
    public int[] ids(String text) {
        return tokenize(text).stream().mapToInt(t -> vocab.getOrDefault(t, endId)).toArray();
    }

    /**
     * {@code <|startoftext|> ids <|endoftext|>}, truncated to the context length (the text's tokens are cut, the end
     * token kept) and padded with the pad token: transformers' {@code padding="max_length", truncation=True}.
     */
    public int[] encode(String text) {
        int[] ids = ids(text);
        int keep = Math.min(ids.length, maxLength - 2);
        int[] out = new int[maxLength];
        Arrays.fill(out, padId);
        out[0] = startId;
        System.arraycopy(ids, 0, out, 1, keep);
        out[keep + 1] = endId;
        return out;
    }

    /** {@link #encode} of every text, as int64 ids [N, L] flattened row-major (a model's input). */
    public long[] encodeBatch(List<String> texts) {
        long[] ids = new long[texts.size() * maxLength];
        for (int i = 0; i < texts.size(); i++) {
            int[] row = encode(texts.get(i));
            for (int j = 0; j < maxLength; j++) {
                ids[i * maxLength + j] = row[j];
            }
        }
        return ids;
    }

    /** 1 for the start token, the text's tokens and the end token of {@link #encode}, 0 for padding. */
    public int[] attentionMask(String text) {
        int real = Math.min(ids(text).length, maxLength - 2) + 2;
        int[] mask = new int[maxLength];
        Arrays.fill(mask, 0, real, 1);
        return mask;
    }

    /** The pieces CLIP's pattern splits the cleaned {@code text} into (before the byte mapping and BPE). */
    static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = PIECES.matcher(clean(text));
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private void bpeWords(String text, List<String> out) {
        for (String piece : pieces(text)) {
            StringBuilder symbols = new StringBuilder();
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                symbols.append(BYTE_SYMBOL[b & 0xff]);
            }
            out.addAll(cache.computeIfAbsent(symbols.toString(), this::bpe));
        }
    }

    /** Byte-pair merges of one piece, lowest rank first, until no pair has a rank. */
    private List<String> bpe(String piece) {
        List<String> word = new ArrayList<>();
        piece.codePoints().forEach(c -> word.add(new String(Character.toChars(c))));
        word.set(word.size() - 1, word.get(word.size() - 1) + WORD_END);
        while (word.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            String first = word.get(best);
            String second = word.get(best + 1);
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word.clear();
            word.addAll(merged);
        }
        return List.copyOf(word);
    }

    /**
     * BERT's basic tokenizer as CLIPTokenizer configures it without ftfy: drop NUL, U+FFFD and control
     * characters, whitespace to spaces, spaces around CJK ideographs, NFC, split on whitespace, lower case.
     */
    static String clean(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == 0 || c == 0xFFFD || isControl(c)) {
                return;
            }
            if (isWhitespace(c)) {
                b.append(' ');
            } else if (isCjk(c)) {
                b.append(' ').appendCodePoint(c).append(' ');
            } else {
                b.appendCodePoint(c);
            }
        });
        String nfc = Normalizer.normalize(b, Normalizer.Form.NFC);
        List<String> words = new ArrayList<>();
        for (String w : nfc.trim().split("[\\s\\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+")) {
            if (!w.isEmpty()) {
                words.add(w.toLowerCase(Locale.ROOT));
            }
        }
        return String.join(" ", words);
    }

    private static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    /** Unicode category C* except tab, newline and carriage return (which count as whitespace). */
    private static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        int t = Character.getType(c);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE
                || t == Character.UNASSIGNED;
    }

    /** The CJK Unified Ideographs blocks BERT splits on. */
    private static boolean isCjk(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 onwards. */
    private static String[] byteSymbols() {
        String[] out = new String[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            out[b] = new String(Character.toChars(printable[b] ? b : 256 + n++));
        }
        return out;
    }

    /** The symbol of byte b in the byte alphabet (for building a vocabulary). */
    public static String byteSymbol(int b) {
        return BYTE_SYMBOL[b & 0xff];
    }
}
