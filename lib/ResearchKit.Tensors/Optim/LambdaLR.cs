namespace ResearchKit.Tensors.Optim;

/// <summary>Sets lr = base_lr · λ(epoch) (<c>torch.optim.lr_scheduler.LambdaLR</c>). The functions are not saved in the
/// state dict (PyTorch saves lambdas as None too); re-create the scheduler with the same functions before loading.</summary>
public sealed class LambdaLR : LrScheduler
{
    private readonly Func<int, double>[] _lambdas;

    /// <summary>One function for every group.</summary>
    /// <param name="optimizer">Optimizer to schedule.</param>
    /// <param name="lrLambda">Multiplier of the base lr as a function of the epoch.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; -1 to start.</param>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda, int lastEpoch = -1)
        : this(optimizer, Repeat(optimizer, lrLambda), lastEpoch) { }

    /// <summary>One function per group.</summary>
    /// <param name="optimizer">Optimizer to schedule.</param>
    /// <param name="lrLambdas">Multiplier functions, one per parameter group.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; -1 to start.</param>
    /// <exception cref="ArgumentException">The number of functions differs from the number of groups.</exception>
    public LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(lrLambdas);
        if (lrLambdas.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"LambdaLR: Expected {optimizer.ParamGroups.Count} lr_lambdas, but got {lrLambdas.Count}; pass one function per parameter group (or a single function for all).");
        _lambdas = new Func<int, double>[lrLambdas.Count];
        for (int i = 0; i < _lambdas.Length; i++) _lambdas[i] = lrLambdas[i] ?? throw new ArgumentNullException(nameof(lrLambdas), $"LambdaLR: function {i} is null.");
        InitialStep();
    }

    private static Func<int, double>[] Repeat(Optimizer optimizer, Func<int, double> f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(f);
        var a = new Func<int, double>[optimizer.ParamGroups.Count];
        Array.Fill(a, f);
        return a;
    }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var r = new double[BaseLrs.Count];
        for (int i = 0; i < r.Length; i++) r[i] = BaseLrs[i] * _lambdas[i](LastEpoch);
        return r;
    }
}
