using System.Text.Json;
using ResearchKit.Tensors.Optim;
using Xunit;

namespace ResearchKit.Tensors.Tests.Optim;

/// <summary>State dicts: contents, PyTorch-shaped JSON, bit-identical resume, validation and atomic loading.</summary>
public class OptimizerStateDictTests
{
    private static Tensor[] Params(int seed)
    {
        var g = new Generator(seed);
        return [Tensor.Randn([4, 3], g).RequiresGrad_(), Tensor.Randn([3], g).RequiresGrad_(), Tensor.Randn([21], g).RequiresGrad_()];
    }

    private static Tensor[] Copy(Tensor[] ps) => ps.Select(p => p.Detach().Clone().RequiresGrad_()).ToArray();

    private static void SetGrads(Tensor[] ps, Generator g)
    {
        foreach (var p in ps) p.Grad = Tensor.Randn(p.Shape.ToArray(), g);
    }

    public static TheoryData<string> Kinds() => new() { "adam_amsgrad", "adamw", "sgd_nesterov", "rmsprop_centered_momentum" };

    private static Optimizer Make(string kind, Tensor[] ps, double lr) => kind switch
    {
        "adam_amsgrad" => new Adam([new ParamGroup(ps[..2]), new ParamGroup(ps[2..], lr: lr / 10)], lr: lr, weightDecay: 1e-2, amsgrad: true),
        "adamw" => new AdamW(ps, lr: lr, betas: (0.8, 0.99)),
        "sgd_nesterov" => new Sgd(ps, lr: lr, momentum: 0.9, nesterov: true, weightDecay: 1e-4),
        _ => new RmsProp(ps, lr: lr, momentum: 0.5, centered: true, weightDecay: 1e-3),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResumeIsBitIdentical(string kind)
    {
        var a = Params(1);
        var optA = Make(kind, a, lr: 1e-2);
        var gen = new Generator(42);
        for (int i = 0; i < 3; i++) { SetGrads(a, gen); optA.Step(); }

        var saved = optA.StateDict();
        var b = Copy(a);
        var optB = Make(kind, b, lr: 0.5); // different lr: the loaded param groups must win
        optB.LoadStateDict(saved.State, saved.ParamGroups);
        Assert.Equal(optA.ParamGroups.Select(g => g.Lr), optB.ParamGroups.Select(g => g.Lr));

        var genB = new Generator(43);
        var genA = new Generator(43);
        for (int i = 0; i < 3; i++)
        {
            SetGrads(a, genA); optA.Step();
            SetGrads(b, genB); optB.Step();
        }
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToArray(), b[i].ToArray());
        var sa = optA.StateDict(); var sb = optB.StateDict();
        Assert.Equal(sa.ParamGroups, sb.ParamGroups);
        Assert.Equal(sa.State.Keys.Order(), sb.State.Keys.Order());
        foreach (var k in sa.State.Keys) Assert.Equal(sa.State[k].ToArray(), sb.State[k].ToArray());
    }

    [Fact]
    public void AdamStateDictLooksLikePyTorch()
    {
        var ps = Params(2);
        var opt = new Adam([new ParamGroup(ps[..2]), new ParamGroup(ps[2..], lr: 1e-4)], lr: 1e-3, amsgrad: true);
        SetGrads(ps, new Generator(3));
        ps[1].Grad = null; // parameter 1 gets no state
        opt.Step(); opt.Step();
        var sd = opt.StateDict();
        Assert.Equal(new[] { "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq", "state.0.step",
                             "state.2.exp_avg", "state.2.exp_avg_sq", "state.2.max_exp_avg_sq", "state.2.step" }, sd.State.Keys.Order(StringComparer.Ordinal));
        var step = sd.State["state.0.step"];
        Assert.Equal(0, step.Dim);
        Assert.Equal(DType.Float32, step.DType); // PyTorch 1.13 keeps Adam's step as a float tensor
        Assert.Equal(2f, step.Item());
        Assert.Equal(ps[2].Shape, sd.State["state.2.exp_avg"].Shape);

        using var doc = JsonDocument.Parse(sd.ParamGroups);
        var g0 = doc.RootElement[0]; var g1 = doc.RootElement[1];
        Assert.Equal(1e-3, g0.GetProperty("lr").GetDouble());
        Assert.Equal(1e-4, g1.GetProperty("lr").GetDouble());
        Assert.Equal(0.9, g0.GetProperty("betas")[0].GetDouble());
        Assert.Equal(0.999, g0.GetProperty("betas")[1].GetDouble());
        Assert.Equal(1e-8, g0.GetProperty("eps").GetDouble());
        Assert.Equal(0, g0.GetProperty("weight_decay").GetDouble());
        Assert.True(g0.GetProperty("amsgrad").GetBoolean());
        Assert.False(g0.GetProperty("maximize").GetBoolean());
        Assert.Equal(new[] { 0, 1 }, g0.GetProperty("params").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(new[] { 2 }, g1.GetProperty("params").EnumerateArray().Select(e => e.GetInt32()));
        Assert.False(g0.TryGetProperty("initial_lr", out _));

        // The snapshot is a copy: later steps do not change it.
        var before = sd.State["state.0.exp_avg"].ToArray();
        SetGrads(ps, new Generator(4));
        opt.Step();
        Assert.Equal(before, sd.State["state.0.exp_avg"].ToArray());
    }

    [Fact]
    public void StepDTypesAndSgdHasNoStep()
    {
        var ps = Params(3);
        SetGrads(ps, new Generator(1));
        var rms = new RmsProp(ps); rms.Step();
        var st = rms.StateDict().State["state.0.step"];
        Assert.Equal(DType.Int64, st.DType); // PyTorch keeps a Python int
        Assert.Equal(1L, st.ToInt64Array()[0]);
        var sgd = new Sgd(ps, lr: 0.1, momentum: 0.9); sgd.Step();
        Assert.Equal(new[] { "state.0.momentum_buffer", "state.1.momentum_buffer", "state.2.momentum_buffer" }, sgd.StateDict().State.Keys.Order(StringComparer.Ordinal));
        var plain = new Sgd(ps, lr: 0.1); plain.Step();
        Assert.Empty(plain.StateDict().State);
    }

    [Fact]
    public void LoadsPyTorchJsonWithExtraKeysAndInitialLr()
    {
        var ps = Params(4);
        var opt = new Adam(ps);
        const string json = """[{"lr":0.01,"betas":[0.8,0.95],"eps":1e-06,"weight_decay":0.1,"amsgrad":false,"maximize":false,"foreach":null,"capturable":false,"differentiable":false,"fused":false,"initial_lr":0.02,"params":[0,1,2]}]""";
        var state = new Dictionary<string, Tensor> { ["state.1.step"] = Tensor.FromArray(new long[] { 5 }, Array.Empty<int>()), ["state.1.exp_avg"] = Tensor.Ones(3), ["state.1.exp_avg_sq"] = Tensor.Ones(3) };
        opt.LoadStateDict(state, json);
        var g = opt.ParamGroups[0];
        Assert.Equal(0.01, g.Lr);
        Assert.Equal((0.8, 0.95), g.Betas);
        Assert.Equal(1e-6, g["eps"]);
        Assert.Equal(0.02, g.InitialLr);
        Assert.False(g.Has("foreach"));
        Assert.Equal(5, opt.GetState(ps[1])!.Step);
        Assert.Equal(new[] { 1f, 1f, 1f }, opt.GetState(ps[1])!["exp_avg"]!.ToArray());
        state["state.1.exp_avg"].AsSpan()[0] = 7; // loading copies
        Assert.Equal(1f, opt.GetState(ps[1])!["exp_avg"]!.ToArray()[0]);
        Assert.Null(opt.GetState(ps[0]));
    }

    public static TheoryData<string, Dictionary<string, Tensor>, string> BadLoads()
    {
        const string ok = """[{"lr":0.001,"betas":[0.9,0.999],"eps":1e-08,"weight_decay":0,"amsgrad":false,"maximize":false,"params":[0,1,2]}]""";
        Dictionary<string, Tensor> Good() => new() { ["state.0.step"] = Tensor.Scalar(1), ["state.0.exp_avg"] = Tensor.Zeros(4, 3), ["state.0.exp_avg_sq"] = Tensor.Zeros(4, 3) };
        var wrongShape = Good(); wrongShape["state.0.exp_avg"] = Tensor.Zeros(3, 4);
        var unknown = Good(); unknown["state.0.momentum_buffer"] = Tensor.Zeros(4, 3);
        var badKey = Good(); badKey["exp_avg.0"] = Tensor.Zeros(4, 3);
        var outOfRange = Good(); outOfRange["state.3.exp_avg"] = Tensor.Zeros(4, 3);
        var noStep = Good(); noStep.Remove("state.0.step");
        return new()
        {
            { ok.Replace("[0,1,2]", "[0,1]"), Good(), "doesn't match the size of optimizer's group" },
            { "[" + ok[1..^1] + "," + ok[1..^1] + "]", Good(), "different number of parameter groups" },
            { ok.Replace("\"lr\":0.001", "\"lr\":-0.5"), Good(), "Invalid learning rate: -0.5" },
            { "{not json", Good(), "not valid JSON" },
            { ok, wrongShape, "has shape (3, 4) but parameter 0" },
            { ok, unknown, "unexpected state 'state.0.momentum_buffer'" },
            { ok, badKey, "unexpected key 'exp_avg.0'" },
            { ok, outOfRange, "refers to parameter 3" },
            { ok, noStep, "'state.0.step' is missing" },
        };
    }

    [Theory]
    [MemberData(nameof(BadLoads))]
    public void RejectsMismatchedSnapshotsWithoutChangingAnything(string json, Dictionary<string, Tensor> state, string message)
    {
        var ps = Params(5);
        var opt = new Adam(ps, lr: 0.02);
        SetGrads(ps, new Generator(6));
        opt.Step();
        var before = opt.StateDict();
        var e = Assert.Throws<ArgumentException>(() => opt.LoadStateDict(state, json));
        Assert.Contains(message, e.Message);
        var after = opt.StateDict();
        Assert.Equal(before.ParamGroups, after.ParamGroups);
        foreach (var k in before.State.Keys) Assert.Equal(before.State[k].ToArray(), after.State[k].ToArray());
    }
}
