namespace ResearchKit.Tensors.Kernels;

/// <summary>Activation of an Elman RNN, like the <c>nonlinearity</c> argument of PyTorch <c>nn.RNN</c>.</summary>
public enum RnnNonlinearity
{
    /// <summary>h' = tanh(…) (PyTorch default).</summary>
    Tanh,

    /// <summary>h' = max(…, 0); the gradient at exactly 0 is 0, as in PyTorch.</summary>
    Relu,
}
