using ResearchKit.Pruning;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tests.Training;
using ResearchKit.Training;
using Xunit;
using static ResearchKit.Tests.Pruning.PruningTestUtil;

namespace ResearchKit.Tests.Pruning;

public class PruningMasksTests
{
    public static TheoryData<string> OptimizerNames => new() { "sgd-nesterov", "adam", "adam-amsgrad-wd", "rmsprop-momentum-centered" };

    private static Optimizer Make(string name, Module m) => name switch
    {
        "sgd-nesterov" => new Sgd(m.Parameters(), lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3),
        "adam" => new Adam(m.Parameters(), lr: 1e-2),
        "adam-amsgrad-wd" => new Adam(m.Parameters(), lr: 1e-2, amsgrad: true, weightDecay: 1e-2),
        "rmsprop-momentum-centered" => new RmsProp(m.Parameters(), lr: 1e-2, momentum: 0.9, centered: true),
        _ => throw new ArgumentException(name),
    };

    /// <summary>Loss Σ out·gout on random inputs: gradients are non-zero at every weight, pruned or not.</summary>
    private static void Backward(TinyLstm model, int step)
    {
        var g = new Generator(1000 + step);
        var x = Tensor.Randn([5, 3, 4], g);
        var y = model.Forward(x);
        (y * Tensor.Randn(y.Shape.ToArray(), g)).Sum().Backward();
    }

    private static PruningMasks PruneHalf(TinyLstm model) =>
        PruningPlan.Recurrent(model, 0.5, 0.5, PruningMethod.Quantile).Prune(model).Masks;

    private static void AssertPrunedZero(Module model, Optimizer opt, PruningMasks masks, bool checkState = true)
    {
        foreach (var (name, p) in model.NamedParameters())
        {
            var m = masks[name];
            if (m is null) continue;
            var ms = m.ToArray();
            var w = p.ToArray();
            var state = opt.GetState(p);
            Assert.NotNull(state);
            for (int i = 0; i < ms.Length; i++)
            {
                if (ms[i] != 0) continue;
                Assert.True(IsPositiveZero(w[i]), $"{name}[{i}] = {w[i]}");
                if (checkState)
                    foreach (var (bn, buf) in state!.Buffers)
                        Assert.True(IsPositiveZero(buf.ToArray()[i]), $"{name}[{i}] {bn} = {buf.ToArray()[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void MaskedOptimizer_KeepsPrunedWeightsAndStateExactlyZero_Through20Steps(string optimizer)
    {
        var model = new TinyLstm(new Generator(7));
        var masks = PruneHalf(model);
        var opt = new MaskedOptimizer(Make(optimizer, model), model, masks);
        var before = Params(model).ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        for (int s = 0; s < 20; s++)
        {
            opt.ZeroGrad();
            Backward(model, s);
            // The raw gradients do reach pruned positions: masking is what keeps them.
            if (s == 0) Assert.Contains(model.Rnn.NamedParameters().First(p => p.Name == "weight_hh_l0").Parameter.Grad!.ToArray()
                .Where((_, i) => masks["rnn.weight_hh_l0"]!.ToArray()[i] == 0), v => v != 0);
            opt.Step();
        }
        AssertPrunedZero(model, opt.Inner, masks);
        // Unpruned weights did train, and unmasked parameters (biases) too.
        foreach (var (name, p) in model.NamedParameters())
            Assert.NotEqual(before[name], p.ToArray());
        // Expected state buffers exist (so the state check above is not vacuous).
        var names = opt.Inner.GetState(model.Rnn.NamedParameters().First().Parameter)!.Buffers.Select(b => b.Key).ToList();
        Assert.NotEmpty(names);
    }

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void AfterStepMasking_IsBitIdenticalToGradientMasking(string optimizer)
    {
        // PruningCallback's path (mask weights and state after an unmasked step) vs MaskedOptimizer's (mask grads first).
        var a = new TinyLstm(new Generator(8));
        var b = new TinyLstm(new Generator(8));
        var masks = PruneHalf(a);
        masks.Apply(a); masks.Apply(b);
        var oa = new MaskedOptimizer(Make(optimizer, a), a, masks);
        var ob = Make(optimizer, b);
        for (int s = 0; s < 20; s++)
        {
            oa.ZeroGrad(); Backward(a, s); oa.Step();
            ob.ZeroGrad(); Backward(b, s); ob.Step(); masks.ApplyAfterStep(b, ob);
        }
        foreach (var ((n, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.True(pa.ToArray().SequenceEqual(pb.ToArray()), n);
        AssertPrunedZero(b, ob, masks);
    }

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void MomentumCannotResurrectPrunedWeights_WhenPruningMidTraining(string optimizer)
    {
        // Dense steps fill the momentum / moment buffers everywhere; then prune and keep training with the same optimizer.
        var model = new TinyLstm(new Generator(9));
        var inner = Make(optimizer, model);
        for (int s = 0; s < 5; s++) { inner.ZeroGrad(); Backward(model, s); inner.Step(); }
        var masks = PruneHalf(model);
        var weight = Params(model)["rnn.weight_hh_l0"];
        int pruned = Array.IndexOf(masks["rnn.weight_hh_l0"]!.ToArray(), 0f);
        Assert.NotEqual(0f, inner.GetState(weight)!.Buffers[0].Value.ToArray()[pruned]); // stale state present

        var opt = new MaskedOptimizer(inner, model, masks);
        for (int s = 5; s < 25; s++)
        {
            opt.ZeroGrad(); Backward(model, s); opt.Step();
            Assert.True(IsPositiveZero(weight.ToArray()[pruned]));
        }
        AssertPrunedZero(model, inner, masks);
    }

    [Fact]
    public void WithoutStateMasking_SgdMomentumWouldMovePrunedWeight()
    {
        // Negative control: masking only the gradients leaves the momentum buffer to push a zeroed weight.
        var model = new TinyLstm(new Generator(9));
        var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
        for (int s = 0; s < 5; s++) { opt.ZeroGrad(); Backward(model, s); opt.Step(); }
        var masks = PruneHalf(model);
        masks.Apply(model);
        opt.ZeroGrad(); Backward(model, 5);
        masks.MaskGradients(model);
        opt.Step();
        var weight = Params(model)["rnn.weight_hh_l0"];
        var m = masks["rnn.weight_hh_l0"]!.ToArray();
        Assert.Contains(weight.ToArray().Where((_, i) => m[i] == 0), v => v != 0);
    }

    [Fact]
    public void PruningCallback_KeepsMasksThroughTrainerFit()
    {
        var task = new SyntheticTask(128, seed: 3);
        var model = SyntheticTask.Mlp(5, p: 0f);
        var plan = new PruningPlan([PruningGroup.Match(model, "fc", 0.7, ["*.weight"])], PruningMethod.Quantile);
        var masks = plan.Prune(model).Masks;
        masks.Apply(model);
        var opt = new RmsProp(model.Parameters(), lr: 1e-2, momentum: 0.9);
        var trainer = new Trainer(model, opt, (o, y) => ResearchKit.Tensors.Nn.Functional.CrossEntropy(o, y), new TrainerOptions { MaxSteps = 20, EvalAtEnd = false });
        trainer.Callbacks.Add(new PruningCallback(masks));
        trainer.Fit((e, s) => task.Epoch(e, s, 16), task.BatchesPerEpoch(16));
        AssertPrunedZero(model, opt, masks);
        Assert.Equal(0.7, SparsityReport.Of(model).Total.Pruned / (double)masks.TotalCount(), 2);
    }

    /// <summary>Records, before clipping, the gradient norm the Trainer will see and the gradients at pruned positions.</summary>
    private sealed class GradProbe(Module model, PruningMasks masks) : ITrainerCallback
    {
        public List<double> Norms { get; } = new();
        public double MaxPrunedGrad { get; private set; }

        public void OnBeforeStep(Trainer trainer)
        {
            double sq = 0;
            foreach (var (name, p) in model.NamedParameters())
            {
                var g = p.Grad!.ToArray();
                foreach (var v in g) sq += (double)v * v;
                if (masks[name] is { } m)
                {
                    var mv = m.ToArray();
                    for (int i = 0; i < g.Length; i++) if (mv[i] == 0) MaxPrunedGrad = Math.Max(MaxPrunedGrad, Math.Abs(g[i]));
                }
            }
            Norms.Add(Math.Sqrt(sq));
        }

        public List<double> Reported { get; } = new();
        public void OnStepEnd(Trainer trainer, in StepInfo info) => Reported.Add(info.GradNorm!.Value);
    }

    [Fact]
    public void PruningCallback_MasksGradientsBeforeClipping_SoPrunedWeightsDoNotCountInTheNorm()
    {
        var task = new SyntheticTask(128, seed: 4);
        var model = SyntheticTask.Mlp(5, p: 0f);
        var masks = new PruningPlan([PruningGroup.Match(model, "fc", 0.7, ["*.weight"])], PruningMethod.Quantile).Prune(model).Masks;
        masks.Apply(model);
        var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
        var trainer = new Trainer(model, opt, (o, y) => ResearchKit.Tensors.Nn.Functional.CrossEntropy(o, y),
            new TrainerOptions { MaxSteps = 10, EvalAtEnd = false, ClipGradNorm = 1e-3 });
        var probe = new GradProbe(model, masks);
        trainer.Callbacks.Add(new PruningCallback(masks));   // runs first
        trainer.Callbacks.Add(probe);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), task.BatchesPerEpoch(16));
        Assert.Equal(0.0, probe.MaxPrunedGrad);
        Assert.Equal(probe.Norms.Count, probe.Reported.Count);
        for (int i = 0; i < probe.Norms.Count; i++) Assert.Equal(probe.Norms[i], probe.Reported[i], 4);
        AssertPrunedZero(model, opt, masks);
    }

    [Fact]
    public void Masks_RoundTripThroughCheckpointDictionary()
    {
        var model = new TinyLstm(new Generator(2));
        var masks = PruningPlan.Recurrent(model, 0.7, 0.3).Prune(model).Masks;
        var ckpt = new Dictionary<string, Tensor>(model.StateDict());
        foreach (var (k, v) in masks.ToStateDict()) ckpt[k] = v;
        Assert.Contains("mask.rnn.weight_ih_l0", ckpt.Keys);
        Assert.Contains("mask.fc.weight", ckpt.Keys);

        var back = PruningMasks.FromStateDict(ckpt);
        Assert.Equal(masks.Names.OrderBy(n => n), back.Names.OrderBy(n => n));
        foreach (var n in masks.Names)
        {
            Assert.Equal(masks[n]!.Shape, back[n]!.Shape);
            Assert.Equal(masks[n]!.ToArray(), back[n]!.ToArray());
        }
        Assert.True(back.IsMonotoneExtensionOf(masks) && masks.IsMonotoneExtensionOf(back));
        // The model weights load from the same dictionary (extra mask.* keys are ignored by non-strict loading).
        var other = new TinyLstm(new Generator(99));
        var (missing, unexpected) = other.LoadStateDict(ckpt, strict: false);
        Assert.Empty(missing);
        Assert.All(unexpected, k => Assert.StartsWith("mask.", k));
    }

    [Fact]
    public void Apply_WritesPositiveZero_AndLeavesOthersBitIdentical()
    {
        var w = Tensor.FromArray(new[] { -1.5f, 2f, -0.25f, 3f, -7f, 1e-30f, -1e-30f, 4f, 5f, -6f, 7f, -8f, 9f, -10f, 11f, -12f, 13f, -14f, 15f }, 19);
        var holder = new ParamHolder(w);
        var mask = new float[19];
        for (int i = 0; i < 19; i++) mask[i] = i % 3 == 0 ? 1 : 0;
        var masks = new PruningMasks(new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(mask, 19) });
        var before = w.ToArray();
        masks.Apply(holder);
        var after = w.ToArray();
        for (int i = 0; i < 19; i++)
            if (mask[i] == 0) Assert.True(IsPositiveZero(after[i]), $"{i}: {after[i]}");
            else Assert.Equal(BitConverter.SingleToInt32Bits(before[i]), BitConverter.SingleToInt32Bits(after[i]));
        Assert.Equal(12, masks.PrunedCount());
        Assert.Equal(12.0 / 19, masks.Sparsity("w"), 12);
    }

    [Fact]
    public void BadMasks_Throw()
    {
        Assert.Contains("other than 0 and 1", Assert.Throws<ArgumentException>(() => new PruningMasks(new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new[] { 0f, 0.5f }, 2) })).Message);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => new PruningMasks(new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new long[] { 0, 1 }, 2) })).Message);
        var masks = new PruningMasks(new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(3) });
        Assert.Contains("has shape", Assert.Throws<ArgumentException>(() => masks.Apply(new ParamHolder(Tensor.Zeros(4)))).Message);
        Assert.Contains("no parameter 'w'", Assert.Throws<ArgumentException>(() => masks.Apply(new TinyLstm(new Generator(1)))).Message);
    }
}
