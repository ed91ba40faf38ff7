namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay
/// (<c>torch.optim.SGD</c>, PyTorch 1.13 semantics). State: <c>momentum_buffer</c> (when momentum ≠ 0).
/// </summary>
/// <remarks>
/// Per element: <c>d = g + wd·p</c>; <c>buf = d</c> on the first step, then <c>buf = μ·buf + (1−dampening)·d</c>;
/// <c>d = d + μ·buf</c> (Nesterov) or <c>d = buf</c>; <c>p −= lr·d</c>.
/// </remarks>
public sealed class Sgd : Optimizer
{
    private static readonly string[] Names = ["momentum_buffer"];

    /// <summary>Creates SGD over one group of parameters.</summary>
    /// <param name="parameters">Parameters to optimize (e.g. <c>model.Parameters()</c>).</param>
    /// <param name="lr">Learning rate (required, as in PyTorch).</param>
    /// <param name="momentum">Momentum factor μ.</param>
    /// <param name="dampening">Dampening for momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum &gt; 0 and zero dampening).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing.</param>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (e.g. "Invalid learning rate: -0.1") or no parameters.</exception>
    public Sgd(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this(SingleGroup(parameters), lr, momentum, dampening, weightDecay, nesterov, maximize) { }

    /// <summary>Creates SGD over parameter groups; options a group does not set take these defaults.</summary>
    /// <inheritdoc cref="Sgd(IEnumerable{Tensor}, double, double, double, double, bool, bool)"/>
    public Sgd(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, [new("lr", lr), new("momentum", momentum), new("dampening", dampening), new("weight_decay", weightDecay),
                        new("nesterov", nesterov ? 1 : 0), new("maximize", maximize ? 1 : 0)]) { }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateNames => Names;

    /// <inheritdoc/>
    protected override DType? StepDType => null;

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group)
    {
        Require(0 <= group.Lr, "learning rate", group.Lr);
        Require(0 <= group.Momentum, "momentum value", group.Momentum);
        Require(0 <= group.WeightDecay, "weight_decay value", group.WeightDecay);
        if (group.Flag("nesterov") && (group.Momentum <= 0 || group["dampening"] != 0))
            throw new ArgumentException($"{Name}: Nesterov momentum requires a momentum and zero dampening (got momentum={PyFormat.Float(group.Momentum)}, dampening={PyFormat.Float(group["dampening"])}).");
    }

    /// <inheritdoc/>
    protected override void UpdateOnDevice(ParamGroup group, Tensor parameter, Tensor grad, ParamState state)
    {
        if (group.Flag("maximize")) throw new NotSupportedException($"{Name}: maximize has no kernel on device '{parameter.Device}' yet; negate the loss instead.");
        RequireWholeStorage(Name, parameter);
        double momentum = group.Momentum;
        Tensor? buf = null;
        bool first = false;
        if (momentum != 0)
        {
            buf = state["momentum_buffer"];
            if (buf is null) { buf = state.Add("momentum_buffer", Tensor.ZerosLike(parameter)); first = true; }
        }
        parameter.BumpVersion();
        parameter._dev!.Backend.SgdStep(parameter._dev, grad._dev!, buf?._dev, (float)group.Lr, (float)momentum, (float)group["dampening"],
            (float)group.WeightDecay, group.Flag("nesterov"), first);
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor parameter, ReadOnlySpan<float> grad, ParamState state)
    {
        double lr = group.Lr, momentum = group.Momentum, dampening = group["dampening"], wd = group.WeightDecay;
        Span<float> buf = default;
        bool first = false;
        if (momentum != 0)
        {
            var b = state["momentum_buffer"];
            if (b is null) { b = state.Add("momentum_buffer", Tensor.Zeros(parameter.Shape.ToArray())); first = true; }
            buf = b.WriteSpan();
        }
        var c = new SgdCoefficients
        {
            Maximize = group.Flag("maximize"),
            HasWeightDecay = wd != 0,
            WeightDecay = (float)wd,
            HasMomentum = momentum != 0,
            FirstStep = first,
            Momentum = (float)momentum,
            OneMinusDampening = (float)(1 - dampening),
            Nesterov = group.Flag("nesterov"),
            NegLr = (float)-lr,
        };
        var pw = parameter.WriteSpan();
        if (pw.Length < ElementwiseSplit.MinSplit) SgdKernel.Update(pw, grad, buf, c);
        else UpdateSplit(pw, grad, buf, c);
    }

    // Separate, so that the closure is only allocated for a parameter that is split.
    private static void UpdateSplit(Span<float> p, ReadOnlySpan<float> g, Span<float> buf, SgdCoefficients c) =>
        ElementwiseSplit.Run(p, g, buf, default, default, (p1, g1, b1, _, _) => SgdKernel.Update(p1, g1, b1, c));
}
