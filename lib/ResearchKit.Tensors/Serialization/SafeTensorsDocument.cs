using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;

namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// The contents of a safetensors file: tensors in header order plus the optional <c>__metadata__</c> strings.
/// </summary>
public sealed class SafeTensorsDocument
{
    private readonly Dictionary<string, SafeTensorEntry> _byName;

    /// <summary>Creates a document; names must be unique.</summary>
    /// <param name="entries">Tensors, in the order they should be listed.</param>
    /// <param name="metadata">File-level string metadata (e.g. <c>{"format": "pt"}</c>); null for none.</param>
    /// <exception cref="ArgumentException">Two entries share a name, or an entry is null.</exception>
    public SafeTensorsDocument(IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<SafeTensorEntry>();
        _byName = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        foreach (SafeTensorEntry? entry in entries)
        {
            if (entry is null)
                throw new ArgumentException($"SafeTensorsDocument: entry #{list.Count} is null; remove it.", nameof(entries));
            if (!_byName.TryAdd(entry.Name, entry))
                throw new ArgumentException($"SafeTensorsDocument: tensor name '{entry.Name}' appears twice; names must be unique.", nameof(entries));
            list.Add(entry);
        }
        Entries = list.AsReadOnly();
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                if (pair.Value is null)
                    throw new ArgumentException($"SafeTensorsDocument: metadata value for key '{pair.Key}' is null; the format only stores strings.", nameof(metadata));
                meta.Add(pair.Key, pair.Value);
            }
        }
        Metadata = new ReadOnlyDictionary<string, string>(meta);
    }

    /// <summary>Tensors in the order of the file header (for files written by ResearchKit: the order they were written).</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> string map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Number of tensors.</summary>
    public int Count => Entries.Count;

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name; the message lists a few that exist.</exception>
    public SafeTensorEntry this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            if (_byName.TryGetValue(name, out SafeTensorEntry? entry)) return entry;
            string known = string.Join(", ", Entries.Take(8).Select(e => $"'{e.Name}'")) + (Entries.Count > 8 ? ", ..." : "");
            throw new KeyNotFoundException($"SafeTensorsDocument: no tensor named '{name}' (the file has {Entries.Count}: {known}); check the name or the checkpoint.");
        }
    }

    /// <summary>True when a tensor named <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up a tensor by name without throwing.</summary>
    public bool TryGetEntry(string name, [MaybeNullWhen(false)] out SafeTensorEntry entry) => _byName.TryGetValue(name, out entry);
}
