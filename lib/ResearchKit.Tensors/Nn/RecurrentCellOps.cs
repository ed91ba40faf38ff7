using System.Globalization;

namespace ResearchKit.Tensors.Nn;

/// <summary>Validation, initialization and the affine maps shared by <see cref="LstmCell"/>, <see cref="GruCell"/> and <see cref="RnnCell"/>.</summary>
internal static class RecurrentCellOps
{
    /// <summary>Checks the constructor sizes.</summary>
    public static void CheckSizes(string op, int inputSize, int hiddenSize)
    {
        if (inputSize < 1)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{op}: input_size must be at least 1, got {inputSize}.");
        if (hiddenSize < 1)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{op}: hidden_size must be at least 1, got {hiddenSize}.");
    }

    /// <summary>Fills every parameter of <paramref name="cell"/> from U(−1/√H, 1/√H) in registration order (PyTorch's default).</summary>
    public static void Reset(Module cell, int hiddenSize, Generator? generator)
    {
        float bound = 1f / MathF.Sqrt(hiddenSize);
        using (Torch.NoGrad())
            foreach (var p in cell.Parameters(recurse: false))
                p.CopyFrom(Tensor.Uniform(p.Shape.ToArray(), -bound, bound, generator));
    }

    /// <summary>Validates (batch, input_size) or unbatched (input_size) input; returns it as 2-D.</summary>
    public static Tensor Input(string op, Tensor input, int inputSize, out bool batched)
    {
        ArgumentNullException.ThrowIfNull(input);
        ThrowHelper.RequireFloat(op, input);
        if (input.Dim is not (1 or 2))
            throw new ArgumentException($"{op}: expected a 2-D input (batch, input_size) or a 1-D unbatched input (input_size), got shape {input.Shape}.", nameof(input));
        if (input.Size(-1) != inputSize)
            throw new ArgumentException($"{op}: input.size(-1) must equal input_size={inputSize}, got input of shape {input.Shape}.", nameof(input));
        batched = input.Dim == 2;
        return batched ? input : input.Unsqueeze(0);
    }

    /// <summary>Validates a state against (batch, hidden_size) (or (hidden_size) unbatched); null gives zeros on <paramref name="device"/>.</summary>
    public static Tensor State(string op, string name, Tensor? state, bool batched, int batch, int hiddenSize, Device device)
    {
        if (state is null) return Tensor.Zeros([batch, hiddenSize], device);
        ThrowHelper.RequireFloat(op, state);
        int[] expected = batched ? [batch, hiddenSize] : [hiddenSize];
        if (!ShapeUtil.SameShape(state._shape, expected))
            throw new ArgumentException(
                $"{op}: expected {name} of shape {ShapeUtil.Format(expected)} {(batched ? "(batch, hidden_size)" : "(hidden_size) for unbatched input")}, got {state.Shape}.",
                nameof(state));
        return batched ? state : state.Unsqueeze(0);
    }

    /// <summary>x·Wᵀ (+ b).</summary>
    public static Tensor Affine(Tensor x, Tensor weight, Tensor? bias)
    {
        var r = x.Matmul(weight.T);
        return bias is null ? r : r + bias;
    }

    /// <summary>PyTorch's RNNCellBase extra_repr.</summary>
    public static string Repr(int inputSize, int hiddenSize, bool bias, string? nonlinearity = null)
    {
        var s = inputSize.ToString(CultureInfo.InvariantCulture) + ", " + hiddenSize.ToString(CultureInfo.InvariantCulture);
        if (!bias) s += ", bias=False";
        if (nonlinearity is not null && nonlinearity != "tanh") s += ", nonlinearity=" + nonlinearity;
        return s;
    }
}
