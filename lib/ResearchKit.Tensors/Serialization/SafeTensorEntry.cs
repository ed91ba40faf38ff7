using System.Collections.ObjectModel;

namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// One named tensor of a safetensors file: dtype, row-major shape and the raw little-endian element bytes.
/// Independent of any tensor class; conversions to <c>float[]</c>/<c>long[]</c> follow PyTorch's rules.
/// </summary>
/// <remarks>
/// The entry does not copy <see cref="Data"/>: whoever created it must not mutate the underlying buffer afterwards.
/// Entries returned by <see cref="SafeTensorsFile"/> readers own their buffers (or view the caller's buffer for
/// <see cref="SafeTensorsFile.Read(ReadOnlyMemory{byte}, string?)"/>).
/// </remarks>
public sealed class SafeTensorEntry
{
    /// <summary>Reserved header key that holds the string→string metadata; it cannot be a tensor name.</summary>
    public const string MetadataKey = "__metadata__";

    private readonly long[] _shape;

    /// <summary>Creates an entry over existing little-endian bytes (not copied).</summary>
    /// <param name="name">Tensor name, e.g. <c>"conv1.weight"</c>; any string except <see cref="MetadataKey"/>.</param>
    /// <param name="dtype">Element type of <paramref name="data"/>.</param>
    /// <param name="shape">Row-major dimensions; empty for a scalar. Zero-sized dimensions are allowed.</param>
    /// <param name="data">Exactly product(shape) × element-size bytes.</param>
    /// <exception cref="ArgumentException">Reserved name, negative dimension, or a byte count that does not match the shape.</exception>
    public SafeTensorEntry(string name, SafeTensorDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == MetadataKey)
            throw new ArgumentException($"SafeTensorEntry: '{MetadataKey}' is reserved for file metadata and cannot name a tensor; rename the tensor.", nameof(name));
        int elementSize = dtype.ElementSize(); // also rejects undefined enum values
        long count = CheckedElementCount(shape, out string? shapeProblem);
        if (shapeProblem is not null)
            throw new ArgumentException($"SafeTensorEntry '{name}': {shapeProblem}", nameof(shape));
        long bytes = count > long.MaxValue / elementSize ? -1 : count * elementSize;
        if (bytes != data.Length)
        {
            throw new ArgumentException(
                $"SafeTensorEntry '{name}': dtype {dtype.ToHeaderString()} with shape {FormatShape(shape)} needs {count} elements × {elementSize} bytes = " +
                $"{(bytes < 0 ? "more than long.MaxValue" : bytes.ToString())} bytes, but the data has {data.Length} bytes; pass data that matches the shape.",
                nameof(data));
        }
        Name = name;
        DType = dtype;
        _shape = shape.ToArray();
        Shape = new ReadOnlyCollection<long>(_shape);
        ElementCount = count;
        Data = data;
    }

    /// <summary>Tensor name (the key in the file header).</summary>
    public string Name { get; }

    /// <summary>Element type of <see cref="Data"/>.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>Row-major dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar, 0 if any dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>Raw element bytes, little-endian, row-major; length is <see cref="ElementCount"/> × element size.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Returns the elements as <c>float</c>: F32 copies, F16/BF16 widen exactly, F64 rounds to nearest even (like <c>tensor.float()</c>).</summary>
    /// <exception cref="InvalidOperationException">The dtype is an integer or bool type; use <see cref="ToInt64"/>.</exception>
    public float[] ToFloat32()
    {
        var result = new float[ElementCount];
        CopyToFloat32(result);
        return result;
    }

    /// <summary>Same as <see cref="ToFloat32"/> but writes into <paramref name="destination"/>, e.g. a tensor's storage.</summary>
    /// <exception cref="InvalidOperationException">The dtype is an integer or bool type.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> length differs from <see cref="ElementCount"/>.</exception>
    public void CopyToFloat32(Span<float> destination)
    {
        ElementConversions.EnsureLittleEndian();
        if (!DType.IsFloatingPoint())
            throw new InvalidOperationException($"SafeTensorEntry '{Name}': ToFloat32 needs a floating-point dtype (F64, F32, F16, BF16) but the tensor is {DType.ToHeaderString()}; use ToInt64 instead.");
        CheckDestination(destination.Length, "CopyToFloat32");
        ElementConversions.ToSingle(DType, Data.Span, destination);
    }

    /// <summary>Returns the elements as <c>long</c>: I64/I32/I16/I8/U8 widen exactly, BOOL gives 0 or 1.</summary>
    /// <exception cref="InvalidOperationException">The dtype is a floating-point type; use <see cref="ToFloat32"/>.</exception>
    public long[] ToInt64()
    {
        var result = new long[ElementCount];
        CopyToInt64(result);
        return result;
    }

    /// <summary>Same as <see cref="ToInt64"/> but writes into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">The dtype is a floating-point type.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> length differs from <see cref="ElementCount"/>.</exception>
    public void CopyToInt64(Span<long> destination)
    {
        ElementConversions.EnsureLittleEndian();
        if (DType.IsFloatingPoint())
            throw new InvalidOperationException($"SafeTensorEntry '{Name}': ToInt64 needs an integer or BOOL dtype but the tensor is {DType.ToHeaderString()}; use ToFloat32 instead.");
        CheckDestination(destination.Length, "CopyToInt64");
        ElementConversions.ToInt64(DType, Data.Span, destination);
    }

    /// <summary>
    /// Creates an entry from floats, stored as <paramref name="dtype"/> (default F32). F16 and BF16 round to nearest even
    /// exactly like PyTorch's <c>tensor.half()</c>/<c>tensor.bfloat16()</c> (BF16 turns every NaN into 0x7FC0); F64 widens exactly.
    /// </summary>
    /// <exception cref="ArgumentException">Non-float dtype, or <paramref name="data"/> length differs from product(<paramref name="shape"/>).</exception>
    public static SafeTensorEntry FromFloat32(string name, ReadOnlySpan<float> data, ReadOnlySpan<long> shape, SafeTensorDType dtype = SafeTensorDType.F32)
    {
        ElementConversions.EnsureLittleEndian();
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"SafeTensorEntry.FromFloat32 '{name}': target dtype must be F64, F32, F16 or BF16, got {dtype.ToHeaderString()}; use FromInt64 for integer data.", nameof(dtype));
        CheckSourceLength(name, data.Length, shape, "FromFloat32");
        byte[] bytes = AllocatePayload(name, data.Length, dtype, "FromFloat32");
        ElementConversions.FromSingle(dtype, data, bytes);
        return new SafeTensorEntry(name, dtype, shape, bytes);
    }

    /// <summary>
    /// Creates an entry from longs, stored as <paramref name="dtype"/> (default I64). Narrowing is checked: a value outside
    /// the target range (0/1 for BOOL) throws instead of wrapping.
    /// </summary>
    /// <exception cref="ArgumentException">Float dtype, or <paramref name="data"/> length differs from product(<paramref name="shape"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value does not fit <paramref name="dtype"/>.</exception>
    public static SafeTensorEntry FromInt64(string name, ReadOnlySpan<long> data, ReadOnlySpan<long> shape, SafeTensorDType dtype = SafeTensorDType.I64)
    {
        ElementConversions.EnsureLittleEndian();
        if (dtype.IsFloatingPoint())
            throw new ArgumentException($"SafeTensorEntry.FromInt64 '{name}': target dtype must be I64, I32, I16, I8, U8 or BOOL, got {dtype.ToHeaderString()}; use FromFloat32 for float data.", nameof(dtype));
        CheckSourceLength(name, data.Length, shape, "FromInt64");
        int bad = ElementConversions.FindOutOfRange(dtype, data, out long min, out long max);
        if (bad >= 0)
            throw new ArgumentOutOfRangeException(nameof(data), data[bad],
                $"SafeTensorEntry.FromInt64 '{name}': element {bad} = {data[bad]} does not fit {dtype.ToHeaderString()} (range {min}..{max}); choose a wider dtype or clamp the values.");
        byte[] bytes = AllocatePayload(name, data.Length, dtype, "FromInt64");
        ElementConversions.FromInt64(dtype, data, bytes);
        return new SafeTensorEntry(name, dtype, shape, bytes);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType.ToHeaderString()}{FormatShape(_shape)}";

    /// <summary>Formats a shape like the header does: <c>[2, 3]</c>, <c>[]</c> for a scalar.</summary>
    internal static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>
    /// Product of the dimensions with overflow checking. A zero dimension gives 0 even if other dimensions are huge.
    /// Returns -1 and a problem description for negative dimensions or a product above long.MaxValue.
    /// </summary>
    internal static long CheckedElementCount(ReadOnlySpan<long> shape, out string? problem)
    {
        problem = null;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] < 0)
            {
                problem = $"dimension {d} of shape {FormatShape(shape)} is negative ({shape[d]}); dimensions must be >= 0.";
                return -1;
            }
        }
        if (shape.Contains(0L)) return 0;
        long count = 1;
        foreach (long dim in shape)
        {
            if (count > long.MaxValue / dim)
            {
                problem = $"shape {FormatShape(shape)} has more than long.MaxValue elements.";
                return -1;
            }
            count *= dim;
        }
        return count;
    }

    /// <summary>Uninitialised payload array (the encoder overwrites every byte), or a clear error if it cannot exist.</summary>
    private static byte[] AllocatePayload(string name, int count, SafeTensorDType dtype, string op)
    {
        long bytes = (long)count * dtype.ElementSize();
        if (bytes > Array.MaxLength)
            throw new ArgumentException($"SafeTensorEntry.{op} '{name}': {count} elements as {dtype.ToHeaderString()} need {bytes} bytes, more than one .NET array holds ({Array.MaxLength}); split the tensor or use a narrower dtype.", "data");
        return GC.AllocateUninitializedArray<byte>((int)bytes);
    }

    private void CheckDestination(int length, string op)
    {
        if (length != ElementCount)
            throw new ArgumentException($"SafeTensorEntry '{Name}': {op} destination has {length} elements but the tensor {FormatShape(_shape)} has {ElementCount}; pass a span of exactly ElementCount elements.", "destination");
    }

    private static void CheckSourceLength(string name, int length, ReadOnlySpan<long> shape, string op)
    {
        long count = CheckedElementCount(shape, out string? problem);
        if (problem is not null)
            throw new ArgumentException($"SafeTensorEntry.{op} '{name}': {problem}", nameof(shape));
        if (count != length)
            throw new ArgumentException($"SafeTensorEntry.{op} '{name}': shape {FormatShape(shape)} has {count} elements but the data has {length}; pass data that matches the shape.", "data");
    }
}
