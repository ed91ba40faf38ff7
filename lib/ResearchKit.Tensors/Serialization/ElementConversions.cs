using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// Conversions between the little-endian byte payload of a safetensors tensor and float/long arrays, with the same
/// rounding as PyTorch's <c>Tensor.to(dtype)</c>. Callers guarantee matching lengths.
/// </summary>
/// <remarks>
/// Reinterpreting bytes as float/Half/long with <see cref="MemoryMarshal.Cast{TFrom, TTo}(ReadOnlySpan{TFrom})"/> is only
/// correct on little-endian hosts; every public entry point calls <see cref="EnsureLittleEndian"/> first.
/// Unaligned payloads are fine: x64 and Arm64 loads tolerate misalignment.
/// </remarks>
internal static class ElementConversions
{
    /// <summary>
    /// Throws on big-endian hosts. Supporting them would need a byte swap on every read and write; ResearchKit only
    /// targets little-endian machines (x64, Arm64), so we refuse rather than silently produce swapped values.
    /// </summary>
    internal static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException(
                "safetensors data is little-endian and ResearchKit does not byte-swap; run on a little-endian host (x64 or Arm64).");
    }

    /// <summary>Decodes F32/F16/BF16/F64 bytes to float. F16 and BF16 widen exactly; F64 rounds to nearest even.</summary>
    internal static void ToSingle(SafeTensorDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case SafeTensorDType.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case SafeTensorDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            case SafeTensorDType.BF16:
                BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination);
                break;
            case SafeTensorDType.F64:
                // float.CreateTruncating(double) is the plain (float) cast: IEEE round-to-nearest-even, overflow to ±inf.
                TensorPrimitives.ConvertTruncating<double, float>(MemoryMarshal.Cast<byte, double>(source), destination);
                break;
            default:
                throw new UnreachableException($"ToSingle called with non-float dtype {dtype}.");
        }
    }

    /// <summary>Encodes floats as F32/F16/BF16/F64 bytes, rounding to nearest even like PyTorch.</summary>
    internal static void FromSingle(SafeTensorDType dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case SafeTensorDType.F32:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case SafeTensorDType.F16:
                TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<byte, Half>(destination));
                break;
            case SafeTensorDType.BF16:
                SingleToBFloat16(source, MemoryMarshal.Cast<byte, ushort>(destination));
                break;
            case SafeTensorDType.F64:
                TensorPrimitives.ConvertTruncating<float, double>(source, MemoryMarshal.Cast<byte, double>(destination));
                break;
            default:
                throw new UnreachableException($"FromSingle called with non-float dtype {dtype}.");
        }
    }

    /// <summary>Decodes integer/bool bytes to long. Every integer widens exactly; BOOL maps any nonzero byte to 1.</summary>
    internal static void ToInt64(SafeTensorDType dtype, ReadOnlySpan<byte> source, Span<long> destination)
    {
        switch (dtype)
        {
            case SafeTensorDType.I64:
                MemoryMarshal.Cast<byte, long>(source).CopyTo(destination);
                break;
            case SafeTensorDType.I32:
                TensorPrimitives.ConvertTruncating<int, long>(MemoryMarshal.Cast<byte, int>(source), destination);
                break;
            case SafeTensorDType.I16:
                TensorPrimitives.ConvertTruncating<short, long>(MemoryMarshal.Cast<byte, short>(source), destination);
                break;
            case SafeTensorDType.I8:
                TensorPrimitives.ConvertTruncating<sbyte, long>(MemoryMarshal.Cast<byte, sbyte>(source), destination);
                break;
            case SafeTensorDType.U8:
                TensorPrimitives.ConvertTruncating<byte, long>(source, destination);
                break;
            case SafeTensorDType.Bool:
                // A well-formed BOOL payload holds only 0 and 1; normalise anything else the way C++ bool reads it.
                for (int i = 0; i < source.Length; i++) destination[i] = source[i] != 0 ? 1 : 0;
                break;
            default:
                throw new UnreachableException($"ToInt64 called with non-integer dtype {dtype}.");
        }
    }

    /// <summary>
    /// Encodes longs as integer/bool bytes. The caller has checked the range with <see cref="FindOutOfRange"/>,
    /// so narrowing never wraps.
    /// </summary>
    internal static void FromInt64(SafeTensorDType dtype, ReadOnlySpan<long> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case SafeTensorDType.I64:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case SafeTensorDType.I32:
                TensorPrimitives.ConvertTruncating<long, int>(source, MemoryMarshal.Cast<byte, int>(destination));
                break;
            case SafeTensorDType.I16:
                TensorPrimitives.ConvertTruncating<long, short>(source, MemoryMarshal.Cast<byte, short>(destination));
                break;
            case SafeTensorDType.I8:
                TensorPrimitives.ConvertTruncating<long, sbyte>(source, MemoryMarshal.Cast<byte, sbyte>(destination));
                break;
            case SafeTensorDType.U8:
            case SafeTensorDType.Bool:
                TensorPrimitives.ConvertTruncating<long, byte>(source, destination);
                break;
            default:
                throw new UnreachableException($"FromInt64 called with non-integer dtype {dtype}.");
        }
    }

    /// <summary>Index of the first value that does not fit <paramref name="dtype"/> (BOOL accepts only 0 and 1), or -1.</summary>
    internal static int FindOutOfRange(SafeTensorDType dtype, ReadOnlySpan<long> values, out long min, out long max)
    {
        (min, max) = dtype switch
        {
            SafeTensorDType.I64 => (long.MinValue, long.MaxValue),
            SafeTensorDType.I32 => (int.MinValue, int.MaxValue),
            SafeTensorDType.I16 => (short.MinValue, short.MaxValue),
            SafeTensorDType.I8 => (sbyte.MinValue, sbyte.MaxValue),
            SafeTensorDType.U8 => (byte.MinValue, byte.MaxValue),
            SafeTensorDType.Bool => (0L, 1L),
            _ => throw new UnreachableException($"FindOutOfRange called with non-integer dtype {dtype}."),
        };
        if (dtype == SafeTensorDType.I64) return -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max) return i;
        }
        return -1;
    }

    /// <summary>bfloat16 → float is exact: the bf16 bits are the upper half of the float bits.</summary>
    internal static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref uint dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        int n = source.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
            {
                (Vector512<uint> lo, Vector512<uint> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref src, (nuint)i));
                (lo << 16).StoreUnsafe(ref dst, (nuint)i);
                (hi << 16).StoreUnsafe(ref dst, (nuint)(i + Vector512<uint>.Count));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                (Vector256<uint> lo, Vector256<uint> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                (lo << 16).StoreUnsafe(ref dst, (nuint)i);
                (hi << 16).StoreUnsafe(ref dst, (nuint)(i + Vector256<uint>.Count));
            }
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = (uint)Unsafe.Add(ref src, i) << 16;
    }

    /// <summary>
    /// float → bfloat16 with PyTorch's rule (c10::BFloat16 round_to_nearest_even): any NaN becomes 0x7FC0, everything
    /// else rounds to nearest even, overflowing to ±inf.
    /// </summary>
    internal static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ref uint src = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort dst = ref MemoryMarshal.GetReference(destination);
        int n = source.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
            {
                Vector512<uint> a = Round(Vector512.LoadUnsafe(ref src, (nuint)i));
                Vector512<uint> b = Round(Vector512.LoadUnsafe(ref src, (nuint)(i + Vector512<uint>.Count)));
                Vector512.Narrow(a, b).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                Vector256<uint> a = Round(Vector256.LoadUnsafe(ref src, (nuint)i));
                Vector256<uint> b = Round(Vector256.LoadUnsafe(ref src, (nuint)(i + Vector256<uint>.Count)));
                Vector256.Narrow(a, b).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = SingleBitsToBFloat16(Unsafe.Add(ref src, i));
    }

    // Vector form of SingleBitsToBFloat16 on 16/8 lanes of float bits.
    private static Vector512<uint> Round(Vector512<uint> bits)
    {
        Vector512<uint> isNaN = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        Vector512<uint> rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        return Vector512.ConditionalSelect(isNaN, Vector512.Create(0x7FC0u), rounded);
    }

    private static Vector256<uint> Round(Vector256<uint> bits)
    {
        Vector256<uint> isNaN = Vector256.GreaterThan(bits & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        Vector256<uint> rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        return Vector256.ConditionalSelect(isNaN, Vector256.Create(0x7FC0u), rounded);
    }

    /// <summary>Scalar float-bits → bfloat16 with PyTorch's rounding (see <see cref="SingleToBFloat16"/>).</summary>
    internal static ushort SingleBitsToBFloat16(uint bits)
    {
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u) return 0x7FC0;
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }
}
