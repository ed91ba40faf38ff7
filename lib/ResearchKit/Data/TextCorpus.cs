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

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: vocab {Vocab.Count:N0}, tokens train {Train.Length:N0} / valid {Valid.Length:N0} / test {Test.Length:N0}";
}
