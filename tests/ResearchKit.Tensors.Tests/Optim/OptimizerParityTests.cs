using ResearchKit.Tensors.Optim;
using ResearchKit.Tensors.Tests.Parity;
using Xunit;

namespace ResearchKit.Tensors.Tests.Optim;

/// <summary>Two optimizer steps against PyTorch 1.13 (tests/fixtures/optim_*.safetensors).</summary>
public class OptimizerParityTests
{
    private const double Rtol = 1e-5, Atol = 1e-7;

    private static Optimizer Build(Fixture fx, Tensor[] ps)
    {
        string kind = fx.Config.GetProperty("optimizer").GetString()!;
        double D(string k) => fx.Config.GetProperty(k).GetDouble();
        return kind switch
        {
            "Adam" => new Adam(ps, D("lr"), Betas(fx), D("eps"), D("weight_decay"), fx.Bool("amsgrad"), fx.Bool("maximize")),
            "AdamW" => new AdamW(ps, D("lr"), Betas(fx), D("eps"), D("weight_decay"), fx.Bool("amsgrad"), fx.Bool("maximize")),
            "SGD" => new Sgd(ps, D("lr"), D("momentum"), D("dampening"), D("weight_decay"), fx.Bool("nesterov"), fx.Bool("maximize")),
            "RMSprop" => new RmsProp(ps, D("lr"), D("alpha"), D("eps"), D("weight_decay"), D("momentum"), fx.Bool("centered"), fx.Bool("maximize")),
            _ => throw new InvalidOperationException("unknown optimizer " + kind),
        };
    }

    private static (double, double) Betas(Fixture fx)
    {
        var b = fx.Config.GetProperty("betas");
        return (b[0].GetDouble(), b[1].GetDouble());
    }

    /// <summary>Runs both steps, comparing parameters after each and the state after step 2; returns the worst |diff|.</summary>
    private static float Run(string name)
    {
        var fx = Fixture.Load(name);
        var w = fx["param.w"].RequiresGrad_();
        var b = fx["param.b"].RequiresGrad_();
        var opt = Build(fx, [w, b]);
        float worst = 0;
        for (int step = 1; step <= 2; step++)
        {
            w.Grad = fx[$"grad.step{step}.w"];
            b.Grad = fx[$"grad.step{step}.b"];
            opt.Step();
            fx.AssertClose($"after{step}.param.w", w, Rtol, Atol);
            fx.AssertClose($"after{step}.param.b", b, Rtol, Atol);
            worst = Math.Max(worst, MaxDiff(fx[$"after{step}.param.w"], w));
            worst = Math.Max(worst, MaxDiff(fx[$"after{step}.param.b"], b));
        }
        var sd = opt.StateDict().State;
        int stateKeys = 0;
        foreach (var key in fx.Keys)
        {
            if (!key.StartsWith("state.", StringComparison.Ordinal)) continue;
            var parts = key.Split('.');
            var p = parts[1] == "w" ? w : b;
            var actual = opt.GetState(p)![parts[2]];
            Assert.NotNull(actual);
            fx.AssertClose(key, actual!, Rtol, Atol);
            worst = Math.Max(worst, MaxDiff(fx[key], actual!));
            // The same tensor through the state dict (w is parameter 0, b is parameter 1).
            fx.AssertClose(key, sd[$"state.{(parts[1] == "w" ? 0 : 1)}.{parts[2]}"], Rtol, Atol);
            stateKeys++;
        }
        Assert.True(stateKeys >= 2, $"{name}: no state keys compared");
        Assert.Equal(fx.Int("step"), (int)opt.GetState(w)!.Step);
        return worst;
    }

    private static float MaxDiff(Tensor e, Tensor a)
    {
        var x = e.ToArray(); var y = a.ToArray(); float m = 0;
        for (int i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]));
        return m;
    }

    [Theory]
    [InlineData("optim_adam")]
    [InlineData("optim_adamw")]
    [InlineData("optim_sgd_momentum")]
    [InlineData("optim_sgd_nesterov")]
    [InlineData("optim_rmsprop")]
    [InlineData("optim_rmsprop_momentum")]
    public void MatchesPyTorch(string name)
    {
        float worst = Run(name);
        // PyTorch's scalar CPU loop (used for these 12- and 3-element tensors) rounds every op to float32 without
        // fusing, exactly like our kernels: the results agree bit for bit.
        Assert.Equal(0f, worst);
    }
}
