namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// Element types of the safetensors format that ResearchKit reads and writes.
/// The JSON spelling (<c>"F32"</c>, <c>"BOOL"</c>, ...) and element size come from <see cref="SafeTensorDTypes"/>.
/// </summary>
/// <remarks>
/// The format also defines U16, U32, U64, C64 and the 8/6/4-bit float types; reading a file that uses one of them fails
/// with a <see cref="SafeTensorsFormatException"/> that names the tensor and the dtype.
/// </remarks>
public enum SafeTensorDType
{
    /// <summary>IEEE 754 binary64 (<c>"F64"</c>, <c>torch.float64</c>).</summary>
    F64,
    /// <summary>IEEE 754 binary32 (<c>"F32"</c>, <c>torch.float32</c>).</summary>
    F32,
    /// <summary>IEEE 754 binary16 (<c>"F16"</c>, <c>torch.float16</c>).</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of a binary32 (<c>"BF16"</c>, <c>torch.bfloat16</c>).</summary>
    BF16,
    /// <summary>Signed 64-bit integer (<c>"I64"</c>, <c>torch.int64</c>).</summary>
    I64,
    /// <summary>Signed 32-bit integer (<c>"I32"</c>, <c>torch.int32</c>).</summary>
    I32,
    /// <summary>Signed 16-bit integer (<c>"I16"</c>, <c>torch.int16</c>).</summary>
    I16,
    /// <summary>Signed 8-bit integer (<c>"I8"</c>, <c>torch.int8</c>).</summary>
    I8,
    /// <summary>Unsigned 8-bit integer (<c>"U8"</c>, <c>torch.uint8</c>).</summary>
    U8,
    /// <summary>Boolean stored as one byte, 0 or 1 (<c>"BOOL"</c>, <c>torch.bool</c>).</summary>
    Bool,
}
