namespace ResearchKit.Tensors.Devices;

/// <summary>The element-wise binary ops a <see cref="DeviceBackend"/> runs (with broadcasting, through strides). The GPU kernels
/// take the value as their op code: append, never reorder.</summary>
public enum DeviceBinaryOp
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Sub,
    /// <summary>a · b.</summary>
    Mul,
    /// <summary>a / b.</summary>
    Div,
    /// <summary>max(a, b), NaN-propagating.</summary>
    Maximum,
    /// <summary>min(a, b), NaN-propagating.</summary>
    Minimum,
    /// <summary>a where b &gt; 0, else 0 (ReLU's backward: a the gradient, b the ReLU's output).</summary>
    ReluBackward,
    /// <summary>1 where a = b, else 0.</summary>
    Eq,
    /// <summary>1 where a ≠ b (and where either is NaN), else 0.</summary>
    Ne,
    /// <summary>1 where a &lt; b, else 0.</summary>
    Lt,
    /// <summary>1 where a ≤ b, else 0.</summary>
    Le,
    /// <summary>1 where a &gt; b, else 0.</summary>
    Gt,
    /// <summary>1 where a ≥ b, else 0.</summary>
    Ge,
    /// <summary>aᵇ.</summary>
    Pow,
}

/// <summary>The element-wise unary ops a <see cref="DeviceBackend"/> runs (the GPU kernels' op code: append, never reorder).</summary>
public enum DeviceUnaryOp
{
    /// <summary>−x.</summary>
    Neg,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>eˣ.</summary>
    Exp,
    /// <summary>ln x.</summary>
    Log,
    /// <summary>1 / (1 + e⁻ˣ).</summary>
    Sigmoid,
    /// <summary>tanh x.</summary>
    Tanh,
    /// <summary>|x|.</summary>
    Abs,
    /// <summary>√x.</summary>
    Sqrt,
    /// <summary>−1, 0 or 1 by the sign of x (NaN stays NaN).</summary>
    Sign,
    /// <summary>⌊x⌋.</summary>
    Floor,
    /// <summary>⌈x⌉.</summary>
    Ceil,
    /// <summary>x rounded to the nearest integer, ties to even (<c>torch.round</c>).</summary>
    Round,
    /// <summary>x rounded towards zero.</summary>
    Trunc,
    /// <summary>x².</summary>
    Square,
    /// <summary>1 / x.</summary>
    Reciprocal,
    /// <summary>1 / √x.</summary>
    Rsqrt,
    /// <summary>sin x.</summary>
    Sin,
    /// <summary>cos x.</summary>
    Cos,
}
