namespace ResearchKit.Tensors.Optim;

/// <summary>What Adam and AdamW share: defaults, validation and the step (they differ only in how weight decay applies).</summary>
internal static class AdamCore
{
    public static readonly string[] StateNames = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    public static KeyValuePair<string, double>[] Defaults(double lr, (double Beta1, double Beta2)? betas, double eps, double weightDecay, bool amsgrad, bool maximize)
    {
        var (b1, b2) = betas ?? (0.9, 0.999);
        return [new("lr", lr), new("beta1", b1), new("beta2", b2), new("eps", eps), new("weight_decay", weightDecay),
                new("amsgrad", amsgrad ? 1 : 0), new("maximize", maximize ? 1 : 0)];
    }

    public static void Validate(ParamGroup g, Action<bool, string, double> require)
    {
        require(0 <= g.Lr, "learning rate", g.Lr);
        require(0 <= g["eps"], "epsilon value", g["eps"]);
        var (b1, b2) = g.Betas;
        require(0 <= b1 && b1 < 1, "beta parameter at index 0", b1);
        require(0 <= b2 && b2 < 1, "beta parameter at index 1", b2);
        require(0 <= g.WeightDecay, "weight_decay value", g.WeightDecay);
    }

    /// <summary>Adam's step on a device (L2 weight decay; amsgrad and maximize are refused with the way round).</summary>
    public static void UpdateOnDevice(string name, ParamGroup group, Tensor parameter, Tensor grad, ParamState state)
    {
        string? missing = group.Flag("amsgrad") ? "amsgrad" : group.Flag("maximize") ? "maximize" : null;
        if (missing is not null)
            throw new NotSupportedException($"{name}: {missing} has no kernel on device '{parameter.Device}' yet; train this model on the CPU, or without {missing}.");
        Optimizer.RequireWholeStorage(name, parameter);
        var m = state.GetOrZeros("exp_avg", parameter);
        var v = state.GetOrZeros("exp_avg_sq", parameter);
        var (beta1, beta2) = group.Betas;
        parameter.BumpVersion();
        parameter._dev!.Backend.AdamStep(parameter._dev, grad._dev!, m._dev!, v._dev!, state.Step, (float)group.Lr, (float)beta1, (float)beta2,
            (float)group["eps"], (float)group.WeightDecay);
    }

    public static void Update(ParamGroup group, Tensor parameter, ReadOnlySpan<float> grad, ParamState state, bool decoupled)
    {
        double lr = group.Lr, wd = group.WeightDecay, eps = group["eps"];
        var (beta1, beta2) = group.Betas;
        bool amsgrad = group.Flag("amsgrad");
        var m = state.GetOrZeros("exp_avg", parameter).WriteSpan();
        var v = state.GetOrZeros("exp_avg_sq", parameter).WriteSpan();
        var vmax = amsgrad ? state.GetOrZeros("max_exp_avg_sq", parameter).WriteSpan() : default;
        // PyTorch 1.13 (single-tensor path): Python-float scalars, computed in double, then cast to float32 by the kernels.
        double step = state.Step;
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);
        var c = new AdamCoefficients
        {
            Maximize = group.Flag("maximize"),
            Amsgrad = amsgrad,
            L2 = !decoupled && wd != 0,
            WeightDecay = (float)wd,
            Decoupled = decoupled,
            Decay = (float)(1 - lr * wd),
            Beta1 = (float)beta1,
            OneMinusBeta1 = (float)(1 - beta1),
            Beta2 = (float)beta2,
            OneMinusBeta2 = (float)(1 - beta2),
            BiasCorrection2Sqrt = (float)biasCorrection2Sqrt,
            Eps = (float)eps,
            NegStepSize = (float)-stepSize,
        };
        var pw = parameter.WriteSpan();
        if (pw.Length < ElementwiseSplit.MinSplit) AdamKernel.Update(pw, grad, m, v, vmax, c);
        else UpdateSplit(pw, grad, m, v, vmax, c);
    }

    // Separate, so that the closure is only allocated for a parameter that is split.
    private static void UpdateSplit(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vmax, AdamCoefficients c) =>
        ElementwiseSplit.Run(p, g, m, v, vmax, (p1, g1, m1, v1, x1) => AdamKernel.Update(p1, g1, m1, v1, x1, c));
}
