using System.Buffers.Binary;

namespace ResearchKit.Defenses;

/// <summary>
/// The byte serialization of one input that the Ensemble Hash Defense hashes (see <see cref="EhdInputEncoding"/>).
/// </summary>
/// <remarks>
/// <para>An input is one row of a batch (N, …), e.g. an image (C, H, W). Its values are read in row-major (C, H, W)
/// order of the tensor's logical layout (a non-contiguous view serializes like its contiguous copy). Only the values
/// are hashed, not the shape.</para>
/// <para><see cref="EhdInputEncoding.Uint8"/>: value x → byte <c>MathF.Round(Math.Clamp(x, 0f, 1f) * 255f)</c>, the
/// product rounded to float32 and then to the nearest integer with ties to even (0.5 → 127.5 → 128; 1.5/255 → 2).
/// So k/255 → k exactly for every grey level k. NaN has no byte and is rejected.</para>
/// <para><see cref="EhdInputEncoding.Float32"/>: the four bytes of <c>BitConverter.SingleToInt32Bits(x)</c>, least
/// significant first, whatever the machine's endianness; NaN payloads and the sign of zero are kept as they are.</para>
/// </remarks>
public static class EhdInputBytes
{
    /// <summary>Bytes per input of <paramref name="valuesPerInput"/> values under <paramref name="encoding"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count or an unknown encoding.</exception>
    public static int ByteCount(int valuesPerInput, EhdInputEncoding encoding)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(valuesPerInput);
        return encoding switch
        {
            EhdInputEncoding.Uint8 => valuesPerInput,
            EhdInputEncoding.Float32 => checked(4 * valuesPerInput),
            _ => throw UnknownEncoding(encoding),
        };
    }

    /// <summary>The <see cref="EhdInputEncoding.Uint8"/> byte of one value (clamp to [0, 1], ×255 in float32, round half to even).</summary>
    /// <exception cref="ArgumentException">The value is NaN.</exception>
    public static byte Quantize(float value)
    {
        if (float.IsNaN(value))
            throw new ArgumentException("EHD uint8 encoding: the input holds NaN, which has no 8-bit value; fix the input (or use EhdInputEncoding.Float32, which hashes raw bits).", nameof(value));
        return (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f, MidpointRounding.ToEven);
    }

    /// <summary>Writes the bytes of one input (its values in row-major order) to <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not exactly <see cref="ByteCount"/> long, or a NaN under uint8.</exception>
    public static void Write(ReadOnlySpan<float> values, EhdInputEncoding encoding, Span<byte> destination)
    {
        int n = ByteCount(values.Length, encoding);
        if (destination.Length != n)
            throw new ArgumentException($"EHD input bytes: {values.Length} values need {n} bytes under {encoding}, the destination holds {destination.Length}.", nameof(destination));
        if (encoding == EhdInputEncoding.Uint8)
            for (int i = 0; i < values.Length; i++) destination[i] = Quantize(values[i]);
        else
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(destination.Slice(4 * i, 4), values[i]);
    }

    /// <summary>The bytes of one input's values (row-major) under <paramref name="encoding"/>.</summary>
    public static byte[] Serialize(ReadOnlySpan<float> values, EhdInputEncoding encoding)
    {
        var bytes = new byte[ByteCount(values.Length, encoding)];
        Write(values, encoding, bytes);
        return bytes;
    }

    internal static ArgumentOutOfRangeException UnknownEncoding(EhdInputEncoding encoding) =>
        new(nameof(encoding), encoding, $"EHD: unknown input encoding {encoding}; use EhdInputEncoding.Uint8 or EhdInputEncoding.Float32.");
}
