namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>, PyTorch 1.13) with L2 weight decay added to the gradient, optional AMSGrad and maximize.
/// State: <c>step</c> (saved as a 0-d Float32 tensor, like PyTorch 1.13), <c>exp_avg</c>, <c>exp_avg_sq</c>,
/// <c>max_exp_avg_sq</c> (AMSGrad).
/// </summary>
/// <remarks>
/// <c>g += wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= (lr/(1−β1^t))·m / (sqrt(v)/sqrt(1−β2^t) + eps)</c>
/// (with <c>v</c> replaced by its running maximum for AMSGrad).
/// </remarks>
public sealed class Adam : Optimizer
{
    /// <summary>Creates Adam over one group of parameters.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="betas">(β1, β2); null means PyTorch's (0.9, 0.999).</param>
    /// <param name="eps">Term added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing.</param>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (e.g. "Invalid beta parameter at index 0: 1.0") or no parameters.</exception>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(SingleGroup(parameters), lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>Creates Adam over parameter groups; options a group does not set take these defaults.</summary>
    /// <inheritdoc cref="Adam(IEnumerable{Tensor}, double, ValueTuple{double, double}?, double, double, bool, bool)"/>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, AdamCore.Defaults(lr, betas, eps, weightDecay, amsgrad, maximize)) { }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateNames => AdamCore.StateNames;

    /// <inheritdoc/>
    protected override void ValidateGroup(ParamGroup group) => AdamCore.Validate(group, Require);

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor parameter, ReadOnlySpan<float> grad, ParamState state) =>
        AdamCore.Update(group, parameter, grad, state, decoupled: false);

    /// <inheritdoc/>
    protected override void UpdateOnDevice(ParamGroup group, Tensor parameter, Tensor grad, ParamState state) =>
        AdamCore.UpdateOnDevice(Name, group, parameter, grad, state);
}
