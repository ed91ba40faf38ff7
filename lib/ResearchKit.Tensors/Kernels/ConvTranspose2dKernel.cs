namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// 2-D transposed convolution (<c>torch.nn.functional.conv_transpose2d</c>) on contiguous NCHW float32 spans.
/// Layouts: input <c>[N, C, H, W]</c>, weight <c>[C, OutC/Groups, KH, KW]</c>, bias <c>[OutC]</c>,
/// output <c>[N, OutC, OutH, OutW]</c> (see <see cref="ConvTranspose2dGeometry"/>).
/// </summary>
/// <remarks>
/// Implemented through the adjoint convolution <see cref="ConvTranspose2dGeometry.Adjoint"/>: forward is its
/// input gradient, the input gradient is its forward, and the weight gradient is its weight gradient with the
/// roles of input and output gradient swapped. Parallelism and determinism are those of <see cref="Conv2dKernel"/>.
/// </remarks>
public static class ConvTranspose2dKernel
{
    /// <summary>Computes <c>output = conv_transpose2d(input, weight) + bias</c> (output is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="weight">Weight <c>[C, OutC/Groups, KH, KW]</c>.</param>
    /// <param name="bias">Bias <c>[OutC]</c>, or empty for no bias.</param>
    /// <param name="output">Output <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void Forward(in ConvTranspose2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        const string op = "ConvTranspose2d.Forward";
        Check(op, g);
        CheckLength(op, "input", input.Length, g.InputLength, g);
        CheckLength(op, "weight", weight.Length, g.WeightLength, g);
        CheckLength(op, "output", output.Length, g.OutputLength, g);
        if (!bias.IsEmpty) CheckLength(op, "bias", bias.Length, g.OutC, g);
        Conv2dKernel.BackwardInput(g.Adjoint, input, weight, output);
        if (bias.IsEmpty) return;
        int plane = g.OutH * g.OutW;
        for (int n = 0; n < g.N; n++)
        {
            for (int o = 0; o < g.OutC; o++)
            {
                Span<float> p = output.Slice((n * g.OutC + o) * plane, plane);
                System.Numerics.Tensors.TensorPrimitives.Add(p, bias[o], p);
            }
        }
    }

    /// <summary>Computes the input gradient (a plain convolution of gradOutput with the same weight; gradInput is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="weight">Weight <c>[C, OutC/Groups, KH, KW]</c>.</param>
    /// <param name="gradInput">Gradient of the input, <c>[N, C, H, W]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void BackwardInput(in ConvTranspose2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        const string op = "ConvTranspose2d.BackwardInput";
        Check(op, g);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "weight", weight.Length, g.WeightLength, g);
        CheckLength(op, "gradInput", gradInput.Length, g.InputLength, g);
        Conv2dKernel.Forward(g.Adjoint, gradOutput, weight, ReadOnlySpan<float>.Empty, gradInput);
    }

    /// <summary>Computes the weight gradient (gradWeight is overwritten; deterministic for a given thread count).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="gradWeight">Gradient of the weight, <c>[C, OutC/Groups, KH, KW]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void BackwardWeight(in ConvTranspose2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight)
    {
        const string op = "ConvTranspose2d.BackwardWeight";
        Check(op, g);
        CheckLength(op, "input", input.Length, g.InputLength, g);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "gradWeight", gradWeight.Length, g.WeightLength, g);
        // d<convᵀ(x; W), gy>/dW = d<x, conv(gy; W)>/dW: the adjoint conv's weight gradient with input gy and output gradient x.
        Conv2dKernel.BackwardWeight(g.Adjoint, gradOutput, input, gradWeight);
    }

    /// <summary>Computes the bias gradient <c>gradBias[o] = Σ_{n,h,w} gradOutput[n, o, h, w]</c> (overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="gradBias">Gradient of the bias, <c>[OutC]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void BackwardBias(in ConvTranspose2dGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradBias)
    {
        const string op = "ConvTranspose2d.BackwardBias";
        Check(op, g);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "gradBias", gradBias.Length, g.OutC, g);
        Conv2dKernel.SumPerChannel(gradOutput, g.N, g.OutC, g.OutH * g.OutW, gradBias);
    }

    private static void Check(string op, in ConvTranspose2dGeometry g) => g.Adjoint.EnsureInitialized(op);

    private static void CheckLength(string op, string name, int actual, int expected, in ConvTranspose2dGeometry g)
    {
        if (actual != expected)
            throw new ArgumentException(
                $"{op}: {name} has {actual} elements but the geometry needs {expected} " +
                $"(input [{g.N}, {g.C}, {g.H}, {g.W}], weight [{g.C}, {g.OutC / g.Groups}, {g.KH}, {g.KW}], " +
                $"output [{g.N}, {g.OutC}, {g.OutH}, {g.OutW}]); pass spans matching the geometry.", name);
    }
}
