namespace ResearchKit.Attacks;

/// <summary>
/// Adam on a flat float array, minimizing (PyTorch's form: p −= lr·m̂/(√v̂ + eps)). Element-wise, so a batch of inputs
/// updated together gives exactly the per-input updates.
/// </summary>
internal sealed class ElementwiseAdam(int length, double lr, double beta1, double beta2, double eps)
{
    private readonly double[] _m = new double[length], _v = new double[length];
    private int _t;

    /// <summary>One descent step of <paramref name="parameters"/> along <paramref name="gradient"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        _t++;
        double bc1 = 1 - Math.Pow(beta1, _t), bc2 = 1 - Math.Pow(beta2, _t);
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i];
            _m[i] = beta1 * _m[i] + (1 - beta1) * g;
            _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
            parameters[i] = (float)(parameters[i] - lr * (_m[i] / bc1) / (Math.Sqrt(_v[i] / bc2) + eps));
        }
    }
}
