using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ResearchKit.Runs;

/// <summary>
/// Deterministic JSON for config values: the same content always gives the same bytes, so it can be hashed.
/// </summary>
/// <remarks>
/// Rules:
/// <list type="bullet">
/// <item>Objects (<see cref="IDictionary"/>, <c>IEnumerable&lt;KeyValuePair&lt;string, object?&gt;&gt;</c>, JSON objects): keys
/// sorted ordinally (<see cref="string.CompareOrdinal(string, string)"/>); keys may be strings, enums (by name) or integers.</item>
/// <item>Arrays: any other <see cref="IEnumerable"/> (arrays, lists) in enumeration order.</item>
/// <item>Integers (all CLR integer types): invariant decimal digits.</item>
/// <item><see cref="double"/>: shortest round-trip form (<c>"R"</c>, invariant), e.g. <c>0.1</c>, <c>1E-05</c>, <c>3</c>;
/// an integral double therefore prints like the integer (3.0 and 3 hash the same). <c>-0.0</c> prints as <c>0</c>.
/// NaN and infinities, which JSON cannot express, become the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>.</item>
/// <item><see cref="float"/> and <see cref="Half"/>: the float's own shortest round-trip form (0.1f prints <c>0.1</c>,
/// not its double expansion); <see cref="decimal"/>: converted to double.</item>
/// <item>Enums: their name as a string. <see cref="DateTime"/>/<see cref="DateTimeOffset"/>: ISO 8601 round-trip (<c>"O"</c>);
/// <see cref="TimeSpan"/>: <c>"c"</c>; <see cref="Guid"/>: <c>"D"</c>; <see cref="char"/>: a one-character string.</item>
/// <item>Strings: only <c>"</c>, <c>\</c>, control characters and unpaired surrogates are escaped; other characters are
/// written as themselves (UTF-8 when hashed).</item>
/// </list>
/// </remarks>
public static class CanonicalJson
{
    private const int MaxDepth = 64;

    /// <summary>Serializes a value canonically.</summary>
    /// <exception cref="ArgumentException">Unsupported value type (message gives its path), duplicate keys after conversion, or nesting deeper than 64.</exception>
    public static string Serialize(object? value)
    {
        var sb = new StringBuilder(256);
        Write(sb, value, "$", 0);
        return sb.ToString();
    }

    /// <summary>Formats a double as <see cref="Serialize"/> does (without quotes for NaN/infinities).</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return "0"; // folds -0.0 into 0.0
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string FormatSingle(float f)
    {
        if (!float.IsFinite(f)) return FormatDouble(f);
        if (f == 0) return "0";
        return f.ToString("R", CultureInfo.InvariantCulture);
    }

    private static void WriteNumber(StringBuilder sb, string formatted)
    {
        // Non-finite values are not JSON numbers: emit them as strings.
        if (formatted is "NaN" or "Infinity" or "-Infinity") WriteString(sb, formatted);
        else sb.Append(formatted);
    }

    private static void Write(StringBuilder sb, object? value, string path, int depth)
    {
        if (depth > MaxDepth)
            throw new ArgumentException($"CanonicalJson: nesting deeper than {MaxDepth} levels at {path}; is the config cyclic?");
        switch (value)
        {
            case null: sb.Append("null"); return;
            case string s: WriteString(sb, s); return;
            case char c: WriteString(sb, c.ToString()); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case Enum e: WriteString(sb, e.ToString()); return;
            case double d: WriteNumber(sb, FormatDouble(d)); return;
            case float f: WriteNumber(sb, FormatSingle(f)); return;
            case Half h: WriteNumber(sb, FormatSingle((float)h)); return;
            case decimal m: WriteNumber(sb, FormatDouble((double)m)); return;
            case sbyte or byte or short or ushort or int or uint or long or ulong or Int128 or UInt128:
                sb.Append(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture)); return;
            case DateTime dt: WriteString(sb, dt.ToString("O", CultureInfo.InvariantCulture)); return;
            case DateTimeOffset dto: WriteString(sb, dto.ToString("O", CultureInfo.InvariantCulture)); return;
            case TimeSpan ts: WriteString(sb, ts.ToString("c", CultureInfo.InvariantCulture)); return;
            case Guid g: WriteString(sb, g.ToString("D")); return;
            case JsonElement je: WriteJsonElement(sb, je, path, depth); return;
            case IDictionary dict:
            {
                var entries = new List<KeyValuePair<string, object?>>(dict.Count);
                foreach (DictionaryEntry de in dict) entries.Add(new(KeyString(de.Key, path), de.Value));
                WriteObject(sb, entries, path, depth);
                return;
            }
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                WriteObject(sb, new List<KeyValuePair<string, object?>>(pairs), path, depth);
                return;
            case IEnumerable seq:
            {
                sb.Append('[');
                int i = 0;
                foreach (object? item in seq)
                {
                    if (i > 0) sb.Append(',');
                    Write(sb, item, $"{path}[{i}]", depth + 1);
                    i++;
                }
                sb.Append(']');
                return;
            }
            default:
                throw new ArgumentException(
                    $"CanonicalJson: value at {path} has unsupported type {value.GetType().FullName}; use strings, numbers, bools, enums, " +
                    "dictionaries or lists (convert records/objects to a Dictionary<string, object?>).");
        }
    }

    private static string KeyString(object key, string path) => key switch
    {
        string s => s,
        Enum e => e.ToString(),
        sbyte or byte or short or ushort or int or uint or long or ulong => ((IFormattable)key).ToString(null, CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"CanonicalJson: dictionary key at {path} has unsupported type {key.GetType().FullName}; use string keys."),
    };

    private static void WriteObject(StringBuilder sb, List<KeyValuePair<string, object?>> entries, string path, int depth)
    {
        entries.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        sb.Append('{');
        for (int i = 0; i < entries.Count; i++)
        {
            if (i > 0)
            {
                if (string.Equals(entries[i - 1].Key, entries[i].Key, StringComparison.Ordinal))
                    throw new ArgumentException($"CanonicalJson: duplicate key '{entries[i].Key}' at {path} (keys must be unique after conversion to strings).");
                sb.Append(',');
            }
            WriteString(sb, entries[i].Key);
            sb.Append(':');
            Write(sb, entries[i].Value, $"{path}.{entries[i].Key}", depth + 1);
        }
        sb.Append('}');
    }

    private static void WriteJsonElement(StringBuilder sb, JsonElement je, string path, int depth)
    {
        switch (je.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var entries = new List<KeyValuePair<string, object?>>();
                foreach (var p in je.EnumerateObject()) entries.Add(new(p.Name, p.Value));
                WriteObject(sb, entries, path, depth);
                return;
            }
            case JsonValueKind.Array:
            {
                var items = new List<object?>();
                foreach (var item in je.EnumerateArray()) items.Add(item);
                Write(sb, items, path, depth);
                return;
            }
            case JsonValueKind.String: WriteString(sb, je.GetString()!); return;
            case JsonValueKind.True: sb.Append("true"); return;
            case JsonValueKind.False: sb.Append("false"); return;
            case JsonValueKind.Null or JsonValueKind.Undefined: sb.Append("null"); return;
            case JsonValueKind.Number:
                // Integers keep full precision; other numbers are normalized through double like CLR doubles.
                if (je.TryGetInt64(out long l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
                else if (je.TryGetUInt64(out ulong ul)) sb.Append(ul.ToString(CultureInfo.InvariantCulture));
                else WriteNumber(sb, FormatDouble(je.GetDouble()));
                return;
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) AppendEscape(sb, c);
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[i + 1]); i++; }
                    else if (char.IsSurrogate(c)) AppendEscape(sb, c); // unpaired: UTF-8 would replace it with U+FFFD
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    private static void AppendEscape(StringBuilder sb, char c) =>
        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
}
