namespace ResearchKit.Tensors.Optim;

/// <summary>
/// AdamW (<c>torch.optim.AdamW</c>, PyTorch 1.13): Adam with decoupled weight decay, <c>p *= 1 − lr·wd</c> before the
/// Adam update (the gradient is not modified). Same state as <see cref="Adam"/>.
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates AdamW over one group of parameters.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="betas">(β1, β2); null means PyTorch's (0.9, 0.999).</param>
    /// <param name="eps">Term added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay (PyTorch default 1e-2).</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing.</param>
    /// <exception cref="ArgumentException">An invalid hyper-parameter or no parameters.</exception>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : this(SingleGroup(parameters), lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>Creates AdamW over parameter groups; options a group does not set take these defaults.</summary>
    /// <inheritdoc cref="AdamW(IEnumerable{Tensor}, double, ValueTuple{double, double}?, double, double, bool, bool)"/>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, AdamCore.Defaults(lr, betas, eps, weightDecay, amsgrad, maximize)) { }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateNames => AdamCore.StateNames;

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group) => AdamCore.Validate(group, Require);

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor parameter, ReadOnlySpan<float> grad, ParamState state) =>
        AdamCore.Update(group, parameter, grad, state, decoupled: true);
}
