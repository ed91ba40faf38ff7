namespace ResearchKit.Tensors.Optim;

/// <summary>
/// RMSprop (<c>torch.optim.RMSprop</c>, PyTorch 1.13), optionally centered and with momentum.
/// State: <c>step</c> (saved as a 0-d Int64 tensor; PyTorch keeps a Python int), <c>square_avg</c>,
/// <c>momentum_buffer</c> (momentum &gt; 0), <c>grad_avg</c> (centered).
/// </summary>
/// <remarks>
/// <c>g += wd·p; sq = α·sq + (1−α)·g²; avg = sqrt(sq [− ga²]) + eps</c> (the square root is taken before adding eps);
/// momentum μ &gt; 0: <c>buf = μ·buf + g/avg; p −= lr·buf</c>, else <c>p −= lr·g/avg</c>.
/// </remarks>
public sealed class RmsProp : Optimizer
{
    private static readonly string[] Names = ["square_avg", "momentum_buffer", "grad_avg"];

    /// <summary>Creates RMSprop over one group of parameters.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">Smoothing constant of the squared-gradient average.</param>
    /// <param name="eps">Term added to the denominator (after the square root).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="momentum">Momentum factor.</param>
    /// <param name="centered">Normalize by an estimate of the gradient's variance.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing.</param>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (e.g. "Invalid alpha value: -0.5") or no parameters.</exception>
    public RmsProp(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : this(SingleGroup(parameters), lr, alpha, eps, weightDecay, momentum, centered, maximize) { }

    /// <summary>Creates RMSprop over parameter groups; options a group does not set take these defaults.</summary>
    /// <inheritdoc cref="RmsProp(IEnumerable{Tensor}, double, double, double, double, double, bool, bool)"/>
    public RmsProp(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(groups, [new("lr", lr), new("momentum", momentum), new("alpha", alpha), new("eps", eps), new("centered", centered ? 1 : 0),
                        new("weight_decay", weightDecay), new("maximize", maximize ? 1 : 0)]) { }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateNames => Names;

    /// <inheritdoc/>
    protected override DType? StepDType => DType.Int64;

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group)
    {
        Require(0 <= group.Lr, "learning rate", group.Lr);
        Require(0 <= group["eps"], "epsilon value", group["eps"]);
        Require(0 <= group.Momentum, "momentum value", group.Momentum);
        Require(0 <= group.WeightDecay, "weight_decay value", group.WeightDecay);
        Require(0 <= group["alpha"], "alpha value", group["alpha"]);
    }

    /// <inheritdoc/>
    protected override void UpdateOnDevice(ParamGroup group, Tensor parameter, Tensor grad, ParamState state)
    {
        if (group.Flag("maximize")) throw new NotSupportedException($"{Name}: maximize has no kernel on device '{parameter.Device}' yet; negate the loss instead.");
        RequireWholeStorage(Name, parameter);
        double momentum = group.Momentum;
        var sq = state.GetOrZeros("square_avg", parameter);
        var buf = momentum > 0 ? state.GetOrZeros("momentum_buffer", parameter) : null;
        var gavg = group.Flag("centered") ? state.GetOrZeros("grad_avg", parameter) : null;
        parameter.BumpVersion();
        parameter._dev!.Backend.RmsPropStep(parameter._dev, grad._dev!, sq._dev!, gavg?._dev, buf?._dev, (float)group.Lr, (float)group["alpha"],
            (float)group["eps"], (float)group.WeightDecay, (float)momentum);
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor parameter, ReadOnlySpan<float> grad, ParamState state)
    {
        double lr = group.Lr, alpha = group["alpha"], eps = group["eps"], wd = group.WeightDecay, momentum = group.Momentum;
        bool centered = group.Flag("centered");
        var sq = state.GetOrZeros("square_avg", parameter).WriteSpan();
        var buf = momentum > 0 ? state.GetOrZeros("momentum_buffer", parameter).WriteSpan() : default;
        var gavg = centered ? state.GetOrZeros("grad_avg", parameter).WriteSpan() : default;
        var c = new RmsPropCoefficients
        {
            Maximize = group.Flag("maximize"),
            HasWeightDecay = wd != 0,
            WeightDecay = (float)wd,
            Alpha = (float)alpha,
            OneMinusAlpha = (float)(1 - alpha),
            Eps = (float)eps,
            Centered = centered,
            HasMomentum = momentum > 0,
            Momentum = (float)momentum,
            NegLr = (float)-lr,
        };
        var pw = parameter.WriteSpan();
        if (pw.Length < ElementwiseSplit.MinSplit) RmsPropKernel.Update(pw, grad, sq, gavg, buf, c);
        else UpdateSplit(pw, grad, sq, gavg, buf, c);
    }

    // Separate, so that the closure is only allocated for a parameter that is split.
    private static void UpdateSplit(Span<float> p, ReadOnlySpan<float> g, Span<float> sq, Span<float> gavg, Span<float> buf, RmsPropCoefficients c) =>
        ElementwiseSplit.Run(p, g, sq, gavg, buf, (p1, g1, s1, a1, b1) => RmsPropKernel.Update(p1, g1, s1, a1, b1, c));
}
