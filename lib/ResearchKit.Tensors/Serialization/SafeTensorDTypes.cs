using System.Diagnostics.CodeAnalysis;

namespace ResearchKit.Tensors.Serialization;

/// <summary>Element size and JSON spelling of <see cref="SafeTensorDType"/> values.</summary>
public static class SafeTensorDTypes
{
    /// <summary>All supported dtypes, in declaration order.</summary>
    public static IReadOnlyList<SafeTensorDType> All { get; } =
    [
        SafeTensorDType.F64, SafeTensorDType.F32, SafeTensorDType.F16, SafeTensorDType.BF16,
        SafeTensorDType.I64, SafeTensorDType.I32, SafeTensorDType.I16, SafeTensorDType.I8,
        SafeTensorDType.U8, SafeTensorDType.Bool,
    ];

    // Dtypes defined by the format (reference implementation) that ResearchKit cannot represent; recognised only to
    // give a better message than "unknown dtype".
    private static readonly string[] KnownUnsupported =
        ["U16", "U32", "U64", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"];

    /// <summary>Size of one element in bytes (1, 2, 4 or 8).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static int ElementSize(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.I16 => 2,
        SafeTensorDType.I8 or SafeTensorDType.U8 or SafeTensorDType.Bool => 1,
        _ => throw Undefined(dtype),
    };

    /// <summary>The dtype as spelled in a safetensors header, e.g. <c>"F32"</c> or <c>"BOOL"</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static string ToHeaderString(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 => "F64",
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.F16 => "F16",
        SafeTensorDType.BF16 => "BF16",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.I16 => "I16",
        SafeTensorDType.I8 => "I8",
        SafeTensorDType.U8 => "U8",
        SafeTensorDType.Bool => "BOOL",
        _ => throw Undefined(dtype),
    };

    /// <summary>True for F64, F32, F16 and BF16.</summary>
    public static bool IsFloatingPoint(this SafeTensorDType dtype) =>
        dtype is SafeTensorDType.F64 or SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16;

    /// <summary>
    /// Parses a header dtype string. Matching is exact and case-sensitive, like the reference implementation
    /// (<c>"f32"</c> is not a dtype).
    /// </summary>
    public static bool TryParse(string? text, out SafeTensorDType dtype)
    {
        switch (text)
        {
            case "F64": dtype = SafeTensorDType.F64; return true;
            case "F32": dtype = SafeTensorDType.F32; return true;
            case "F16": dtype = SafeTensorDType.F16; return true;
            case "BF16": dtype = SafeTensorDType.BF16; return true;
            case "I64": dtype = SafeTensorDType.I64; return true;
            case "I32": dtype = SafeTensorDType.I32; return true;
            case "I16": dtype = SafeTensorDType.I16; return true;
            case "I8": dtype = SafeTensorDType.I8; return true;
            case "U8": dtype = SafeTensorDType.U8; return true;
            case "BOOL": dtype = SafeTensorDType.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>True when <paramref name="text"/> is a dtype of the format that ResearchKit does not support (e.g. U16, F8_E4M3).</summary>
    internal static bool IsKnownUnsupported([NotNullWhen(true)] string? text) =>
        text is not null && Array.IndexOf(KnownUnsupported, text) >= 0;

    /// <summary>Comma-separated list of the supported header spellings, for error messages.</summary>
    internal static string SupportedList => "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

    private static ArgumentOutOfRangeException Undefined(SafeTensorDType dtype) =>
        new(nameof(dtype), dtype, $"{(int)dtype} is not a defined SafeTensorDType value; use one of {SupportedList}.");
}
