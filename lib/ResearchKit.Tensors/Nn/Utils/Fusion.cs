namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Inference-time folding of batch normalization into the convolution before it (<c>torch.nn.utils.fusion.fuse_conv_bn_eval</c>,
/// and <c>torch.ao.quantization.fuse_modules</c> on a model in eval mode): in eval mode a batch norm is the per-channel affine map
/// y = (x − μ)·γ/√(σ² + ε) + β, which the convolution's weight and bias absorb, so the model skips one pass over every
/// activation.
/// </summary>
/// <remarks>
/// <para>Only for inference: the folded model no longer has the batch norm's statistics or affine parameters, so training it
/// again (or switching it to train mode, where a batch norm would normalize by batch statistics) is not the same model.
/// The folded outputs equal the unfolded ones up to float rounding (the weight is scaled before the sums instead of after).</para>
/// <para>Pairs are given explicitly, as PyTorch's <c>fuse_modules</c> takes them: which batch norm reads which convolution is
/// data flow that registration order does not prove. Models that know their pairs list them (e.g. <c>ResNetCifar.ConvBnPairs</c>).</para>
/// </remarks>
public static class Fusion
{
    /// <summary>
    /// A new <see cref="Conv2d"/> (with bias, eval mode) that computes <paramref name="bn"/>(<paramref name="conv"/>(x)) in eval
    /// mode: W' = W·γ/√(σ² + ε) per output channel, b' = (b − μ)·γ/√(σ² + ε) + β, in PyTorch's order of float operations.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="conv"/> is a subclass of <see cref="Conv2d"/> (a quantized convolution
    /// transforms its weight in forward, so scaling the stored weight changes what it quantizes).</exception>
    /// <exception cref="InvalidOperationException">A module is in training mode, or the batch norm keeps no running statistics.</exception>
    /// <exception cref="ArgumentException">The batch norm's features differ from the convolution's output channels.</exception>
    public static Conv2d FuseConvBnEval(Conv2d conv, BatchNorm2d bn)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        if (conv.GetType() != typeof(Conv2d))
            throw new NotSupportedException($"Fusion.FuseConvBnEval: the convolution is a {conv.GetType().Name}, which transforms its weight in forward " +
                "(fake quantization, say); folding the batch norm into the stored weight would change what it quantizes. Fold only plain Conv2d layers.");
        if (conv.Training || bn.Training)
            throw new InvalidOperationException("Fusion.FuseConvBnEval: the modules are in training mode, where batch norm normalizes by the batch's statistics; " +
                "call model.Eval() first (folding is for inference).");
        if (bn.RunningMean is null || bn.RunningVar is null)
            throw new InvalidOperationException("Fusion.FuseConvBnEval: the batch norm keeps no running statistics (trackRunningStats: false), so in eval mode it still " +
                "normalizes by batch statistics and cannot be folded.");
        if (bn.NumFeatures != conv.OutChannels)
            throw new ArgumentException($"Fusion.FuseConvBnEval: the batch norm has {bn.NumFeatures} features, the convolution {conv.OutChannels} output channels; " +
                "pair each batch norm with the convolution it reads.", nameof(bn));

        var fused = new Conv2d(conv.InChannels, conv.OutChannels, conv.KernelSize, conv.Stride, conv.Padding, conv.Dilation,
            conv.Groups, bias: true, conv.PaddingMode);
        fused.Eval();
        int outC = conv.OutChannels, perChannel = conv.Weight.Numel / outC;
        var w = conv.Weight.Contiguous().ToArray();
        var mean = bn.RunningMean.ToArray();
        var variance = bn.RunningVar.ToArray();
        var gamma = bn.Weight?.ToArray();
        var beta = bn.Bias?.ToArray();
        var bias = conv.Bias?.ToArray();
        var fw = new float[w.Length];
        var fb = new float[outC];
        for (int o = 0; o < outC; o++)
        {
            // PyTorch: rsqrt(var + eps), w * (γ·rsqrt), (b − μ)·rsqrt·γ + β, each in float32.
            float rsqrt = 1f / MathF.Sqrt(variance[o] + bn.Eps);
            float g = gamma?[o] ?? 1f;
            float scale = g * rsqrt;
            for (int i = 0; i < perChannel; i++) fw[o * perChannel + i] = w[o * perChannel + i] * scale;
            fb[o] = ((bias?[o] ?? 0f) - mean[o]) * rsqrt * g + (beta?[o] ?? 0f);
        }
        using (Torch.NoGrad())
        {
            fused.Weight.CopyFrom(Tensor.FromArray(fw, conv.Weight.Shape.ToArray()));
            fused.Bias!.CopyFrom(Tensor.FromArray(fb, outC));
        }
        fused.Weight.RequiresGrad = conv.Weight.RequiresGrad;
        fused.Bias!.RequiresGrad = conv.Weight.RequiresGrad;
        return fused;
    }

    /// <summary>
    /// Folds each listed batch norm into its convolution in place: the convolution becomes <see cref="FuseConvBnEval"/>'s and
    /// the batch norm an <see cref="Identity"/>. Every pair is checked before anything changes.
    /// </summary>
    /// <param name="model">A model in eval mode.</param>
    /// <param name="pairs">Dotted paths of each convolution and the batch norm that reads its output.</param>
    /// <returns>The number of pairs folded.</returns>
    /// <exception cref="ArgumentException">A path names no submodule, names a module of another type, or is listed twice.</exception>
    /// <exception cref="NotSupportedException">See <see cref="FuseConvBnEval"/>.</exception>
    /// <exception cref="InvalidOperationException">See <see cref="FuseConvBnEval"/>.</exception>
    public static int FoldBatchNorms(Module model, IEnumerable<(string Conv, string BatchNorm)> pairs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pairs);
        var list = pairs.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fused = new List<(string Conv, string Bn, Conv2d Fused)>();
        foreach (var (convPath, bnPath) in list)
        {
            foreach (var p in new[] { convPath, bnPath })
                if (!seen.Add(p)) throw new ArgumentException($"Fusion.FoldBatchNorms: '{p}' is listed twice.", nameof(pairs));
            var conv = model.GetSubmodule(convPath) as Conv2d
                ?? throw new ArgumentException($"Fusion.FoldBatchNorms: '{convPath}' is a {model.GetSubmodule(convPath).GetType().Name}, not a Conv2d.", nameof(pairs));
            var bn = model.GetSubmodule(bnPath) as BatchNorm2d
                ?? throw new ArgumentException($"Fusion.FoldBatchNorms: '{bnPath}' is a {model.GetSubmodule(bnPath).GetType().Name}, not a BatchNorm2d.", nameof(pairs));
            fused.Add((convPath, bnPath, FuseConvBnEval(conv, bn)));
        }
        foreach (var (convPath, bnPath, f) in fused)
        {
            model.Replace(convPath, f);
            model.Replace(bnPath, new Identity());
        }
        return fused.Count;
    }

    /// <summary>
    /// Fuses each listed convolution with the batch norm and the ReLU after it (and, for a residual block's last convolution,
    /// the residual add between them) into one <see cref="FusedConv2d"/>, for inference: PyTorch's
    /// <c>torch.ao.quantization.fuse_modules</c> on [conv, bn, relu] in eval mode. The batch norm is folded into the weight
    /// (<see cref="FuseConvBnEval"/>), the ReLU and the add run in the convolution's epilogue, and the batch norm and ReLU
    /// modules become <see cref="Identity"/>. Every group is checked before anything changes.
    /// </summary>
    /// <param name="model">A model in eval mode.</param>
    /// <param name="groups">The convolutions to fuse, each with its batch norm and ReLU (either may be null). A group with
    /// <see cref="ConvFusion.Residual"/> must belong to a model that passes the residual to <see cref="FusedConv2d.Forward(Tensor, Tensor)"/>.</param>
    /// <returns>The number of convolutions fused.</returns>
    /// <exception cref="ArgumentException">A path names no submodule or one of another type, or is listed twice.</exception>
    /// <exception cref="NotSupportedException">See <see cref="FuseConvBnEval"/>.</exception>
    /// <exception cref="InvalidOperationException">The model is in training mode, or a batch norm keeps no running statistics.</exception>
    public static int FuseConvBnRelu(Module model, IEnumerable<ConvFusion> groups)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(groups);
        if (model.Training)
            throw new InvalidOperationException("Fusion.FuseConvBnRelu: the model is in training mode; call model.Eval() first (fusion is for inference).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fused = new List<(ConvFusion Group, FusedConv2d Fused)>();
        foreach (var g in groups)
        {
            foreach (var p in new[] { g.Conv, g.BatchNorm, g.Relu })
                if (p is not null && !seen.Add(p)) throw new ArgumentException($"Fusion.FuseConvBnRelu: '{p}' is listed twice.", nameof(groups));
            var conv = model.GetSubmodule(g.Conv) as Conv2d
                ?? throw new ArgumentException($"Fusion.FuseConvBnRelu: '{g.Conv}' is a {model.GetSubmodule(g.Conv).GetType().Name}, not a Conv2d.", nameof(groups));
            if (g.BatchNorm is not null)
                conv = FuseConvBnEval(conv, model.GetSubmodule(g.BatchNorm) as BatchNorm2d
                    ?? throw new ArgumentException($"Fusion.FuseConvBnRelu: '{g.BatchNorm}' is a {model.GetSubmodule(g.BatchNorm).GetType().Name}, not a BatchNorm2d.", nameof(groups)));
            if (g.Relu is not null && model.GetSubmodule(g.Relu) is not ReLU)
                throw new ArgumentException($"Fusion.FuseConvBnRelu: '{g.Relu}' is a {model.GetSubmodule(g.Relu).GetType().Name}, not a ReLU.", nameof(groups));
            fused.Add((g, new FusedConv2d(conv, relu: g.Relu is not null, takesResidual: g.Residual)));
        }
        foreach (var (g, f) in fused)
        {
            model.Replace(g.Conv, f);
            if (g.BatchNorm is not null) model.Replace(g.BatchNorm, new Identity());
            if (g.Relu is not null) model.Replace(g.Relu, new Identity());
        }
        return fused.Count;
    }
}

/// <summary>One group of <see cref="Fusion.FuseConvBnRelu"/>: dotted paths of a convolution, the batch norm that reads it and
/// the ReLU after them (either may be null); <paramref name="Residual"/>: a residual is added before the ReLU, passed by the
/// model to <see cref="FusedConv2d.Forward(Tensor, Tensor)"/>.</summary>
/// <param name="Conv">The convolution.</param>
/// <param name="BatchNorm">The batch norm after it, or null.</param>
/// <param name="Relu">The ReLU after them (after the residual add when <paramref name="Residual"/>), or null.</param>
/// <param name="Residual">Whether a residual is added before the ReLU.</param>
public readonly record struct ConvFusion(string Conv, string? BatchNorm = null, string? Relu = null, bool Residual = false);
