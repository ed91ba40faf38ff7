using System.Text;

namespace ResearchKit.Data;

/// <summary>
/// Tokenizes word-level corpora exactly as PyTorch's examples/word_language_model <c>data.py</c>: every line is split
/// on whitespace and followed by <c>&lt;eos&gt;</c>; the vocabulary comes from train (ids in order of first appearance).
/// Unlike data.py, valid/test never grow the vocabulary: their unseen words become <c>&lt;unk&gt;</c> (WikiText-2 and PTB
/// have none, so the ids are identical).
/// </summary>
public static class TextCorpusReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Builds a corpus from the UTF-8 bytes of the three splits.</summary>
    /// <exception cref="InvalidDataException">A split is not valid UTF-8.</exception>
    public static TextCorpus Read(string name, byte[] train, byte[] valid, byte[] test)
    {
        var vocab = new Vocabulary();
        var trainIds = Tokenize(Decode(train, name, "train"), vocab, grow: true);
        var validIds = Tokenize(Decode(valid, name, "valid"), vocab, grow: false);
        var testIds = Tokenize(Decode(test, name, "test"), vocab, grow: false);
        return new TextCorpus(name, vocab, trainIds, validIds, testIds);
    }

    /// <summary>
    /// Token ids of <paramref name="text"/>. With <paramref name="grow"/>, new words are added to the vocabulary; without,
    /// they map to <c>&lt;unk&gt;</c>, which is appended to the vocabulary the first time it is needed and missing.
    /// </summary>
    public static int[] Tokenize(string text, Vocabulary vocab, bool grow)
    {
        var ids = new List<int>(text.Length / 5);
        var span = text.AsSpan();
        int eos = -1;
        while (!span.IsEmpty)
        {
            // Lines end at \n, \r\n or \r, like Python's universal-newline file iteration.
            int nl = span.IndexOfAny('\n', '\r');
            ReadOnlySpan<char> line;
            if (nl < 0) { line = span; span = default; }
            else
            {
                line = span[..nl];
                int skip = span[nl] == '\r' && nl + 1 < span.Length && span[nl + 1] == '\n' ? 2 : 1;
                span = span[(nl + skip)..];
            }
            int i = 0;
            while (true)
            {
                while (i < line.Length && IsPythonSpace(line[i])) i++;
                if (i >= line.Length) break;
                int start = i;
                while (i < line.Length && !IsPythonSpace(line[i])) i++;
                ids.Add(Id(line[start..i], vocab, grow));
            }
            if (eos < 0) eos = grow ? vocab.Add(Vocabulary.EosToken) : Id(Vocabulary.EosToken, vocab, grow);
            ids.Add(eos);
        }
        return ids.ToArray();
    }

    private static int Id(ReadOnlySpan<char> word, Vocabulary vocab, bool grow)
    {
        if (grow) return vocab.Add(word);
        if (vocab.TryGetId(word, out int id)) return id;
        return vocab.Unk >= 0 ? vocab.Unk : vocab.Add(Vocabulary.UnkToken);
    }

    // Python's str.split() separators: char.IsWhiteSpace plus the information separators U+001C..U+001F.
    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';

    private static string Decode(byte[] bytes, string name, string split)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{name} {split} split is not valid UTF-8 ({e.Message}); the file is corrupt.", e);
        }
    }
}
