using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>
/// Writes the figure enums as plotly values: <see cref="PlotlyValueAttribute"/> when present, else the member name
/// in lower case (<c>LongDashDot</c> → <c>"longdashdot"</c>, <c>ToNextY</c> → <c>"tonexty"</c>).
/// </summary>
internal sealed class PlotlyEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T> where T : struct, Enum
    {
        private readonly Dictionary<T, object> _values = [];

        public Converter()
        {
            foreach (var field in typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var value = (T)field.GetValue(null)!;
                _values[value] = field.GetCustomAttribute<PlotlyValueAttribute>()?.Value ?? field.Name.ToLowerInvariant();
            }
        }

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException($"{typeof(T).Name} is write-only: figures are built in C# and serialized for plotly.js.");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (!_values.TryGetValue(value, out var v))
                throw new JsonException($"{typeof(T).Name} value {value} is not a defined member; plotly has no spelling for it.");
            if (v is bool b) writer.WriteBooleanValue(b);
            else writer.WriteStringValue((string)v);
        }
    }
}
