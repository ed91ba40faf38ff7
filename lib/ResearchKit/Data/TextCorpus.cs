namespace ResearchKit.Data;

/// <summary>A word-level language-modelling corpus: a vocabulary built from train and the three splits as token ids.</summary>
public sealed class TextCorpus
{
    /// <summary>Creates a corpus; arrays are used as given.</summary>
    /// <exception cref="ArgumentException">A token id is outside the vocabulary.</exception>
    public TextCorpus(string name, Vocabulary vocab, int[] train, int[] valid, int[] test)
    {
        foreach (var (split, ids) in new[] { ("train", train), ("valid", valid), ("test", test) })
            foreach (int id in ids)
                if ((uint)id >= (uint)vocab.Count)
                    throw new ArgumentException($"TextCorpus '{name}': {split} token id {id} is outside the vocabulary [0, {vocab.Count}).");
        Name = name; Vocab = vocab; Train = train; Valid = valid; Test = test;
    }

    /// <summary>Display name, e.g. "WikiText-2".</summary>
    public string Name { get; }
    /// <summary>The vocabulary (ids in order of first appearance in train).</summary>
    public Vocabulary Vocab { get; }
    /// <summary>Training tokens, <c>&lt;eos&gt;</c> after every line.</summary>
    public int[] Train { get; }
    /// <summary>Validation tokens; words unseen in train are <c>&lt;unk&gt;</c>.</summary>
    public int[] Valid { get; }
    /// <summary>Test tokens; words unseen in train are <c>&lt;unk&gt;</c>.</summary>
    public int[] Test { get; }

    /// <summary>
    /// A smaller corpus for budgets below the full one: the first <paramref name="trainTokens"/> training tokens, and
    /// the <paramref name="vocabularySize"/> − 1 words most frequent in them plus <c>&lt;unk&gt;</c>, every other word of
    /// every split becoming <c>&lt;unk&gt;</c>. Validation and test keep their full length, so their perplexities are
    /// measured on the same text (over a coarser vocabulary, which makes them lower than the full corpus' would be).
    /// </summary>
    /// <param name="vocabularySize">Words kept, <c>&lt;unk&gt;</c> included (≥ 2).</param>
    /// <param name="trainTokens">Leading training tokens kept (null: all).</param>
    /// <returns>The new corpus; ties in frequency keep the original (first-appearance) order, so it is reproducible.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size below the minimum.</exception>
    public TextCorpus Reduced(int vocabularySize, int? trainTokens = null)
    {
        if (vocabularySize < 2) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "TextCorpus.Reduced: keep at least 2 words (<unk> and one more).");
        if (trainTokens is < 1) throw new ArgumentOutOfRangeException(nameof(trainTokens), trainTokens, "TextCorpus.Reduced: keep at least one training token.");
        int n = Math.Min(trainTokens ?? Train.Length, Train.Length);
        var counts = new long[Vocab.Count];
        foreach (int t in Train.AsSpan(0, n)) counts[t]++;
        int unk = Vocab.Unk;
        var kept = Enumerable.Range(0, counts.Length).Where(i => i != unk && counts[i] > 0)
            .OrderByDescending(i => counts[i]).ThenBy(i => i).Take(vocabularySize - 1).OrderBy(i => i).ToList();
        var words = new List<string> { Vocabulary.UnkToken };
        var map = new int[counts.Length];   // 0 = <unk>
        foreach (int i in kept) { map[i] = words.Count; words.Add(Vocab[i]); }
        int[] Map(ReadOnlySpan<int> ids) { var r = new int[ids.Length]; for (int i = 0; i < r.Length; i++) r[i] = map[ids[i]]; return r; }
        return new TextCorpus($"{Name} (top {words.Count:N0} words, {n:N0} train tokens)", new Vocabulary(words),
            Map(Train.AsSpan(0, n)), Map(Valid), Map(Test));
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: vocab {Vocab.Count:N0}, tokens train {Train.Length:N0} / valid {Valid.Length:N0} / test {Test.Length:N0}";
}
