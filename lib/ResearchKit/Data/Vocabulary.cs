namespace ResearchKit.Data;

/// <summary>
/// Word ↔ id map of a word-level corpus. Ids are assigned in order of first appearance in the training text (as
/// PyTorch's word_language_model <c>Dictionary</c>), so they are reproducible.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The unknown-word token.</summary>
    public const string UnkToken = "<unk>";
    /// <summary>The end-of-sentence token appended to every line.</summary>
    public const string EosToken = "<eos>";

    private readonly List<string> _words = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanIds;

    /// <summary>An empty vocabulary.</summary>
    public Vocabulary() => _spanIds = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>A vocabulary holding <paramref name="words"/> in order (ids 0, 1, …).</summary>
    /// <exception cref="ArgumentException">A word is repeated.</exception>
    public Vocabulary(IEnumerable<string> words) : this()
    {
        foreach (var w in words)
            if (_ids.ContainsKey(w) || Add(w) < 0)
                throw new ArgumentException($"Vocabulary: word '{w}' is listed twice.", nameof(words));
    }

    /// <summary>Number of words.</summary>
    public int Count => _words.Count;

    /// <summary>All words, by id.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>Id of <c>&lt;unk&gt;</c>, or -1 when the vocabulary has none.</summary>
    public int Unk => _ids.GetValueOrDefault(UnkToken, -1);

    /// <summary>Id of <c>&lt;eos&gt;</c>, or -1 when the vocabulary has none.</summary>
    public int Eos => _ids.GetValueOrDefault(EosToken, -1);

    /// <summary>Id of <paramref name="word"/>; an unknown word maps to <see cref="Unk"/>.</summary>
    /// <exception cref="KeyNotFoundException">The word is unknown and there is no <c>&lt;unk&gt;</c>.</exception>
    public int this[string word] => _ids.TryGetValue(word, out int id) ? id
        : Unk is var unk and >= 0 ? unk
        : throw new KeyNotFoundException($"Vocabulary: '{word}' is not in the vocabulary ({Count} words) and there is no {UnkToken} to map it to.");

    /// <summary>The word with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Id outside [0, Count).</exception>
    public string this[int id] => (uint)id < (uint)_words.Count ? _words[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Vocabulary: id {id} is outside [0, {Count}).");

    /// <summary>Whether <paramref name="word"/> is in the vocabulary.</summary>
    public bool Contains(string word) => _ids.ContainsKey(word);

    /// <summary>Looks up a word without allocating.</summary>
    public bool TryGetId(ReadOnlySpan<char> word, out int id) => _spanIds.TryGetValue(word, out id);

    /// <summary>Adds <paramref name="word"/> if new; returns its id.</summary>
    public int Add(ReadOnlySpan<char> word)
    {
        if (_spanIds.TryGetValue(word, out int id)) return id;
        var s = word.ToString();
        _ids.Add(s, _words.Count);
        _words.Add(s);
        return _words.Count - 1;
    }

    /// <summary>The words of <paramref name="ids"/> joined by spaces (for inspecting samples).</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var parts = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) parts[i] = this[ids[i]];
        return string.Join(' ', parts);
    }
}
