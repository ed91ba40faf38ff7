namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Shared state and forward of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (PyTorch's <c>_BatchNorm</c>):
/// parameters <c>weight</c>, <c>bias</c> and buffers <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>,
/// registered in that order so state-dict keys match PyTorch.
/// </summary>
/// <remarks>
/// Training uses batch statistics (biased variance) and updates the running stats with <see cref="Momentum"/>
/// (a cumulative average when it is null) using the unbiased variance; evaluation uses the running stats.
/// Init: weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0.
/// </remarks>
public abstract class BatchNormBase : Module<Tensor, Tensor>
{
    /// <summary>Number of channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance for stability.</summary>
    public float Eps { get; }

    /// <summary>Running-average factor; null means a cumulative moving average (1/num_batches_tracked).</summary>
    public float? Momentum { get; }

    /// <summary>Whether the layer has learnable γ (weight) and β (bias).</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept (otherwise batch statistics are used in eval too).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ (C), or null when not affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β (C), or null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>Running mean (C), or null when not tracking.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running variance (C), or null when not tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Int64 0-d count of training batches seen, or null when not tracking.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <exception cref="ArgumentException">numFeatures ≤ 0, eps ≤ 0 or momentum outside [0, 1].</exception>
    protected BatchNormBase(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
    {
        string name = GetType().Name;
        if (numFeatures <= 0) throw new ArgumentException($"{name}: num_features must be positive, got {numFeatures}.");
        if (!(eps > 0)) throw new ArgumentException($"{name}: eps must be positive, got {eps}.");
        if (momentum is { } mo && !(mo >= 0 && mo <= 1)) throw new ArgumentException($"{name}: momentum must be in [0, 1] or null, got {mo}.");
        NumFeatures = numFeatures; Eps = eps; Momentum = momentum; Affine = affine; TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(numFeatures));
            Bias = RegisterParameter("bias", Tensor.Zeros(numFeatures));
        }
        else { RegisterParameter("weight"); RegisterParameter("bias"); }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones(numFeatures));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.FromArray(new long[] { 0 }, Array.Empty<int>()));
        }
        ResetParameters();
    }

    /// <summary>Resets running_mean to 0, running_var to 1 and num_batches_tracked to 0.</summary>
    public void ResetRunningStats()
    {
        if (!TrackRunningStats) return;
        using (Torch.NoGrad())
        {
            RunningMean!.Zero_();
            RunningVar!.Fill_(1f);
            NumBatchesTracked!.CopyFrom(Tensor.FromArray(new long[] { 0 }, Array.Empty<int>()));
        }
    }

    /// <summary>Resets the running stats and sets weight to 1, bias to 0.</summary>
    public void ResetParameters()
    {
        ResetRunningStats();
        if (!Affine) return;
        Init.Ones_(Weight!);
        Init.Zeros_(Bias!);
    }

    /// <summary>Throws when the input rank does not fit the layer (PyTorch's <c>_check_input_dim</c>).</summary>
    protected abstract void CheckInputDim(Tensor input);

    // The input's rank and channel count, checked before either forward.
    private void CheckInput(Tensor input)
    {
        CheckInputDim(input);
        if (input.Size(1) != NumFeatures)
            throw new ArgumentException($"{GetType().Name}: the input of shape {input.Shape} has {input.Size(1)} channels (dim 1), but the layer was built with num_features={NumFeatures}.");
    }

    /// <summary>
    /// <c>relu(this(input))</c>: for a <see cref="BatchNorm2d"/> or <see cref="BatchNorm1d"/> in evaluation mode with running
    /// statistics, when <paramref name="relu"/> is a plain <see cref="ReLU"/> and neither module has forward hooks, one pass (<see cref="Functional.BatchNormRelu"/>, the same
    /// bits); otherwise this module's forward, then <paramref name="relu"/>'s.
    /// </summary>
    /// <param name="input">The batch norm's input.</param>
    /// <param name="relu">The activation after it.</param>
    /// <returns>The activation's output.</returns>
    public Tensor ForwardRelu(Tensor input, Module<Tensor, Tensor> relu)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(relu);
        // Only the library's own batch norms: a subclass may compute something else in its forward.
        bool own = GetType() == typeof(BatchNorm2d) || GetType() == typeof(BatchNorm1d);
        if (!own || Training || RunningMean is null || RunningVar is null || relu.GetType() != typeof(ReLU) || HasForwardHooks || relu.HasForwardHooks)
            return relu.Forward(Forward(input));
        CheckInput(input);
        return Functional.BatchNormRelu(input, RunningMean, RunningVar, Weight, Bias, Eps);
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        CheckInput(input);
        float factor = Momentum ?? 0f;
        if (Training && TrackRunningStats)
        {
            long count = NumBatchesTracked!.ToInt64Array()[0] + 1;
            using (Torch.NoGrad()) NumBatchesTracked.CopyFrom(Tensor.FromArray(new long[] { count }, Array.Empty<int>()));
            factor = Momentum ?? (float)(1.0 / count);
        }
        bool useBatchStats = Training || (RunningMean is null && RunningVar is null);
        bool passStats = !Training || TrackRunningStats;
        return Functional.BatchNorm(input, passStats ? RunningMean : null, passStats ? RunningVar : null, Weight, Bias, useBatchStats, factor, Eps);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{NumFeatures}, eps={PyRepr.Float(Eps)}, momentum={(Momentum is { } m ? PyRepr.Float(m) : "None")}, affine={PyRepr.Bool(Affine)}, track_running_stats={PyRepr.Bool(TrackRunningStats)}";
}
