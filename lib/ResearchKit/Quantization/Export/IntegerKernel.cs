namespace ResearchKit.Quantization.Export;

/// <summary>Which multiply-accumulate an <see cref="IntegerConv2d"/> or <see cref="IntegerLinear"/> runs.</summary>
public enum IntegerKernel
{
    /// <summary>The scalar reference loops (int32/int64 accumulators): codes wider than 8 bits, or sums that could overflow int32.</summary>
    Reference,

    /// <summary>Float input (no activation grid): the engine's float convolution / matmul over the weight codes (exact small
    /// integers in float32), then y = s_w·Σ k·x + f_w·Σ x + b.</summary>
    FloatInput,

    /// <summary>u8 activation codes × s8 weights with int32 sums (<c>vpdpbusd</c> where AVX-VNNI is present), bit-exact with <see cref="Reference"/>.</summary>
    Int8,

    /// <summary>1-bit weights × activation bit-planes by AND + popcount on 64-bit words, bit-exact with <see cref="Reference"/>.</summary>
    Binary,
}
