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
}
