namespace ResearchKit.Quantization.Approximate;

/// <summary>How <see cref="ApproximateLinear"/> and <see cref="ApproximateConv2d"/> quantize their input (per tensor, b bits).</summary>
public enum ApproximateInputMode
{
    /// <summary><see cref="Unsigned"/> when the call's input has no negative value (post-ReLU), else <see cref="Symmetric"/>.</summary>
    Auto,

    /// <summary>Symmetric signed codes in [−(2^(b−1) − 1), 2^(b−1) − 1], scale max |x| / (2^(b−1) − 1).</summary>
    Symmetric,

    /// <summary>Unsigned codes in [0, 2^b − 1], scale max x / (2^b − 1); a negative input is an error.</summary>
    Unsigned,
}
