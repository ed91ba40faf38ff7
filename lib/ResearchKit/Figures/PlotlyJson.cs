using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>
/// The System.Text.Json settings that turn the figure classes into plotly.js JSON: plotly's attribute names are the
/// C# property names lower-cased (<c>ShowLegend</c> → <c>showlegend</c>; the few snake-case ones such as
/// <c>error_y</c> carry <see cref="JsonPropertyNameAttribute"/>), nulls are omitted so plotly applies its defaults,
/// and non-finite numbers become <c>null</c> (plotly draws a gap; JSON has no NaN).
/// </summary>
internal static class PlotlyJson
{
    /// <summary>Shared options (immutable after first use, as System.Text.Json requires).</summary>
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = LowerCaseNamingPolicy.Instance,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            // Readable output ("lines+markers", "±"); HTML embedding escapes "</" itself (see FigureHtml).
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = false,
        };
        options.Converters.Add(new NonFiniteAsNullDoubleConverter());
        options.Converters.Add(new PlotlyEnumConverterFactory());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>plotly's attribute names are the words run together in lower case (showlegend, fillcolor, nbinsx).</summary>
    private sealed class LowerCaseNamingPolicy : JsonNamingPolicy
    {
        public static readonly LowerCaseNamingPolicy Instance = new();

        public override string ConvertName(string name) => name.ToLowerInvariant();
    }

    /// <summary>Writes NaN and ±Infinity as <c>null</c>: plotly treats null as a missing point.</summary>
    private sealed class NonFiniteAsNullDoubleConverter : JsonConverter<double>
    {
        public override bool HandleNull => false;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
