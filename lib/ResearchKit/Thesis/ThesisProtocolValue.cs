using System.Globalization;
using System.Text.Json;

namespace ResearchKit.Thesis;

/// <summary>One hyper-parameter of the thesis' protocol with the section that states it (e.g. T = 120,000, §4.5.1).</summary>
/// <param name="Key">Stable key, e.g. "seqmnist.tickets.t_save.WT_30k".</param>
/// <param name="Value">The value as stored: a number, a string, a boolean or an array.</param>
/// <param name="Section">Where the thesis states it.</param>
public sealed record ThesisProtocolValue(string Key, JsonElement Value, string Section)
{
    /// <summary>The value as a number.</summary>
    /// <exception cref="InvalidOperationException">The value is not a number.</exception>
    public double AsDouble() => Value.ValueKind == JsonValueKind.Number ? Value.GetDouble() : throw Wrong("a number");

    /// <summary>The value as an integer.</summary>
    /// <exception cref="InvalidOperationException">The value is not an integer.</exception>
    public long AsInt64() => Value.ValueKind == JsonValueKind.Number && Value.TryGetInt64(out long v) ? v : throw Wrong("an integer");

    /// <summary>The value as a string.</summary>
    /// <exception cref="InvalidOperationException">The value is not a string.</exception>
    public string AsString() => Value.ValueKind == JsonValueKind.String ? Value.GetString()! : throw Wrong("a string");

    /// <summary>The value as a boolean.</summary>
    /// <exception cref="InvalidOperationException">The value is not true or false.</exception>
    public bool AsBool() => Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? Value.GetBoolean() : throw Wrong("true or false");

    /// <summary>The value as an array of numbers.</summary>
    /// <exception cref="InvalidOperationException">The value is not an array of numbers.</exception>
    public double[] AsDoubles()
    {
        if (Value.ValueKind != JsonValueKind.Array) throw Wrong("an array of numbers");
        var r = new List<double>();
        foreach (var e in Value.EnumerateArray())
            r.Add(e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Wrong("an array of numbers"));
        return [.. r];
    }

    /// <summary>The value as an array of strings.</summary>
    /// <exception cref="InvalidOperationException">The value is not an array of strings.</exception>
    public string[] AsStrings()
    {
        if (Value.ValueKind != JsonValueKind.Array) throw Wrong("an array of strings");
        var r = new List<string>();
        foreach (var e in Value.EnumerateArray())
            r.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Wrong("an array of strings"));
        return [.. r];
    }

    /// <summary>"key = value (section)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Key} = {Value.GetRawText()} ({Section})");

    private InvalidOperationException Wrong(string expected) =>
        new($"Thesis protocol value '{Key}' ({Section}) is {Value.GetRawText()}, not {expected}; read it with the matching As… method.");
}
