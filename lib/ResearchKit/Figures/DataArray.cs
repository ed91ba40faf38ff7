using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>
/// One coordinate array of a trace (<c>x</c>, <c>y</c>, error sizes): numbers or category labels. Converts implicitly
/// from <c>double[]</c>, <c>float[]</c>, <c>int[]</c>, <c>long[]</c>, <c>string[]</c> and lists of them, so builder
/// calls take plain arrays. Non-finite numbers are written as <c>null</c> (a gap in the line).
/// </summary>
[JsonConverter(typeof(DataArrayConverter))]
public sealed class DataArray
{
    private readonly double[]? _numbers;
    private readonly string[]? _labels;

    private DataArray(double[]? numbers, string[]? labels)
    {
        _numbers = numbers;
        _labels = labels;
    }

    /// <summary>Number of values.</summary>
    public int Count => _numbers?.Length ?? _labels!.Length;

    /// <summary>True when the values are category labels rather than numbers.</summary>
    public bool IsCategorical => _labels is not null;

    /// <summary>The numeric values (a copy of the input); throws for a categorical array.</summary>
    public IReadOnlyList<double> Numbers =>
        _numbers ?? throw new InvalidOperationException("DataArray.Numbers: this array holds category labels; read Labels instead.");

    /// <summary>The category labels; throws for a numeric array.</summary>
    public IReadOnlyList<string> Labels =>
        _labels ?? throw new InvalidOperationException("DataArray.Labels: this array holds numbers; read Numbers instead.");

    /// <summary>Numbers (copied, so later changes to the caller's array do not alter the figure).</summary>
    public static DataArray From(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new DataArray(values.ToArray(), null);
    }

    /// <summary>Numbers from single precision (tensor outputs).</summary>
    public static DataArray From(IEnumerable<float> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = new List<double>();
        foreach (var v in values) list.Add(v);
        return new DataArray(list.ToArray(), null);
    }

    /// <summary>Integers (epochs, steps).</summary>
    public static DataArray From(IEnumerable<int> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = new List<double>();
        foreach (var v in values) list.Add(v);
        return new DataArray(list.ToArray(), null);
    }

    /// <summary>64-bit integers (step counters); values above 2^53 lose precision as in JavaScript.</summary>
    public static DataArray From(IEnumerable<long> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = new List<double>();
        foreach (var v in values) list.Add(v);
        return new DataArray(list.ToArray(), null);
    }

    /// <summary>Category labels (bar groups, method names).</summary>
    public static DataArray From(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var array = labels.ToArray();
        for (int i = 0; i < array.Length; i++)
        {
            if (array[i] is null)
                throw new ArgumentException($"DataArray: label {i} is null; use an empty string for a blank category.", nameof(labels));
        }
        return new DataArray(null, array);
    }

    /// <summary>Implicit conversion from numbers.</summary>
    public static implicit operator DataArray(double[] values) => From(values);

    /// <summary>Implicit conversion from single-precision numbers.</summary>
    public static implicit operator DataArray(float[] values) => From(values);

    /// <summary>Implicit conversion from integers.</summary>
    public static implicit operator DataArray(int[] values) => From(values);

    /// <summary>Implicit conversion from 64-bit integers.</summary>
    public static implicit operator DataArray(long[] values) => From(values);

    /// <summary>Implicit conversion from category labels.</summary>
    public static implicit operator DataArray(string[] labels) => From(labels);

    /// <summary>Implicit conversion from a list of numbers.</summary>
    public static implicit operator DataArray(List<double> values) => From(values);

    /// <summary>Implicit conversion from a list of single-precision numbers.</summary>
    public static implicit operator DataArray(List<float> values) => From(values);

    /// <summary>Implicit conversion from a list of integers.</summary>
    public static implicit operator DataArray(List<int> values) => From(values);

    /// <summary>Implicit conversion from a list of labels.</summary>
    public static implicit operator DataArray(List<string> labels) => From(labels);

    /// <summary>Numeric value <paramref name="i"/> (for helpers that derive bands from a series).</summary>
    internal double NumberAt(int i) => _numbers![i];

    /// <summary>Writes the array as a JSON array (numbers with NaN/∞ → null, or strings).</summary>
    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        if (_numbers is not null)
        {
            foreach (var v in _numbers)
            {
                if (double.IsFinite(v)) writer.WriteNumberValue(v);
                else writer.WriteNullValue();
            }
        }
        else
        {
            foreach (var s in _labels!) writer.WriteStringValue(s);
        }
        writer.WriteEndArray();
    }

    /// <summary>Serializes a <see cref="DataArray"/> as a plain JSON array.</summary>
    private sealed class DataArrayConverter : JsonConverter<DataArray>
    {
        public override DataArray Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("DataArray is write-only: figures are built in C# and serialized for plotly.js.");

        public override void Write(Utf8JsonWriter writer, DataArray value, JsonSerializerOptions options) => value.Write(writer);
    }
}
