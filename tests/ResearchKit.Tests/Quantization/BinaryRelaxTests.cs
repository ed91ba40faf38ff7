using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Quantization;

/// <summary>Binary-Relax: the relaxed weights, the schedule, the callback and the model conversion.</summary>
public class BinaryRelaxTests
{
    public static TheoryData<int> Seeds => new() { 1, 2, 3, 4, 5, 6 };

    private static double Dist(float[] a, float[] b) => Math.Sqrt(a.Select((x, i) => Math.Pow((double)x - b[i], 2)).Sum());

    [Fact]
    public void Relaxed_HandComputed()
    {
        // Binary, α = mean|w| = (1 + 3)/2 = 2 → P = [2, −2]; η = 3: u = (3·P + w)/4 = [(6 + 1)/4, (−6 − 3)/4] = [1.75, −2.25].
        var q = new BinaryRelaxQuantizer(new BinaryProjection(), new BinaryRelaxState { Eta = 3 });
        Close([1.75f, -2.25f], q.Quantize(T(1f, -3f)).ToArray());
        q.State.Hard = true;
        Close([2f, -2f], q.Quantize(T(1f, -3f)).ToArray());
        q.State.Hard = false; q.State.Eta = 0;
        Assert.Equal(new[] { 1f, -3f }, q.Quantize(T(1f, -3f)).ToArray()); // η = 0: the float weights
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Relaxed_DistanceToTheProjection_IsItsShareOfTheGap_AndVanishesAsEtaGrows(int seed)
    {
        var rng = new Random(seed);
        var w = Tensor.Randn([3, 2, 3, 3], new Generator(seed)) * (float)(0.01 + rng.NextDouble());
        foreach (var proj in new IWeightProjection[] { new BinaryProjection(), new TernaryProjection(), new SignMagnitudeProjection(4) })
        {
            var p = proj.Project(w).ToArray();
            double gap = Dist(w.ToArray(), p);
            var q = new BinaryRelaxQuantizer(proj, new BinaryRelaxState());
            double previous = double.PositiveInfinity;
            foreach (double eta in new[] { 0, rng.NextDouble(), 1, 1.05, 10 * rng.NextDouble() + 1, 1e3, 1e6 })
            {
                q.State.Eta = eta;
                var u = q.Quantize(w).ToArray();
                double d = Dist(u, p);
                Assert.True(Math.Abs(d - gap / (1 + eta)) <= 1e-5 * Math.Max(gap, 1e-3), $"{proj.Name}, η = {eta}: ‖u − P‖ = {d}, expected {gap / (1 + eta)}");
                Assert.True(d <= previous + 1e-7, $"{proj.Name}: ‖u − P‖ grew at η = {eta}");
                // u lies on the segment from w to P(w): u − P = (w − P)/(1 + η) elementwise.
                var wa = w.ToArray();
                Close(p.Select((x, i) => (float)(x + (wa[i] - x) / (1 + eta))).ToArray(), u, 1e-5f);
                previous = d;
            }
            Assert.True(previous <= 1e-5 * Math.Max(gap, 1), $"{proj.Name}: still {previous} away at η = 1e6");
            q.State.Eta = double.PositiveInfinity;
            Assert.Equal(p, q.Quantize(w).ToArray()); // the limit is the projection itself
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Gradient_IsTheIdentity_InBothPhases(int seed)
    {
        // Gradient computed at u, applied to w (the BinaryRelax code's swap): ∂Σ(c·Q(w))/∂w = c.
        var g = new Generator(seed);
        var w = Tensor.Randn([2, 3, 3, 3], g).ToArray();
        var c = Tensor.Randn([2, 3, 3, 3], g).ToArray();
        foreach (bool hard in new[] { false, true })
        {
            var q = new BinaryRelaxQuantizer(new SignMagnitudeProjection(3), new BinaryRelaxState { Eta = 1.5, Hard = hard });
            Assert.Equal(c, AutogradGrad(q.Quantize, w, c, [2, 3, 3, 3]));
        }
    }

    [Fact]
    public void Quantizer_ReportsTheProjection()
    {
        var proj = new TernaryProjection();
        var q = new BinaryRelaxQuantizer(proj, new BinaryRelaxState());
        var w = T(0.1f, -0.9f, 0.5f, 1.2f);
        Assert.Equal(2, q.BitWidth);
        Assert.Equal(QuantGranularity.PerTensor, q.Granularity);
        Assert.Equal(proj.Grid(w).Shared, q.Grid(w).Shared);
        Assert.Contains("pass the weight tensor", Assert.Throws<ArgumentException>(() => q.Grid()).Message);
        Assert.Contains("η ≥ 0", Assert.Throws<ArgumentException>(() => q.State.Eta = -1).Message);
        Assert.Throws<ArgumentException>(() => q.State.Eta = double.NaN);
    }

    [Fact]
    public void Schedule_BinaryRelaxCode_EtaGrowsEachEpoch_ThenHard()
    {
        var s = BinaryRelaxSchedule.BinaryRelaxCode(); // η₀ = 1, ×1.05 at the start of each epoch, m_epochs = 80
        Assert.Equal(80, s.RelaxedEpochs);
        for (int e = 0; e < 80; e++)
        {
            var (eta, hard) = BinaryRelaxState.At(e, s);
            Assert.False(hard, $"epoch {e} should be relaxed");
            Assert.Equal(Math.Pow(1.05, e + 1), eta, 12);
        }
        Assert.Equal(1.05, BinaryRelaxState.At(0, s).Eta, 12);
        Assert.True(BinaryRelaxState.At(80, s).Hard);
        Assert.True(BinaryRelaxState.At(199, s).Hard);
        Assert.True(BinaryRelaxState.At(5, BinaryRelaxSchedule.BinaryRelaxCode(5)).Hard);
        Assert.False(BinaryRelaxState.At(4, BinaryRelaxSchedule.BinaryRelaxCode(5)).Hard);
    }

    [Fact]
    public void Schedule_EnResNetScript_EtaOne_HardFrom120()
    {
        var s = BinaryRelaxSchedule.EnResNetScript;
        for (int e = 0; e < 120; e++) Assert.Equal((1.0, false), BinaryRelaxState.At(e, s));
        for (int e = 120; e < 200; e++) Assert.True(BinaryRelaxState.At(e, s).Hard);
        Assert.True(BinaryRelaxState.At(0, new BinaryRelaxSchedule(0)).Hard); // BinaryConnect-style from the start
    }

    [Fact]
    public void Schedule_Validation_AlsoOnWith()
    {
        Assert.Contains("RelaxedEpochs", Assert.Throws<ArgumentException>(() => new BinaryRelaxSchedule(-1)).Message);
        Assert.Contains("InitialEta", Assert.Throws<ArgumentException>(() => new BinaryRelaxSchedule(10, initialEta: -0.5)).Message);
        Assert.Contains("Growth", Assert.Throws<ArgumentException>(() => new BinaryRelaxSchedule(10, growth: 0)).Message);
        Assert.Contains("Growth", Assert.Throws<ArgumentException>(() => BinaryRelaxSchedule.EnResNetScript with { Growth = double.NaN }).Message);
        Assert.Contains("epoch", Assert.Throws<ArgumentException>(() => BinaryRelaxState.At(-1, BinaryRelaxSchedule.EnResNetScript)).Message);
        Assert.Equal(BinaryRelaxSchedule.BinaryRelaxCode(120) with { Growth = 1 }, BinaryRelaxSchedule.EnResNetScript);
    }

    [Fact]
    public void Callback_SetsTheStateForTheNextEpoch_AndForAResumedOne()
    {
        var state = new BinaryRelaxState();
        var cb = new BinaryRelaxCallback(BinaryRelaxSchedule.BinaryRelaxCode(3), state);
        Assert.Equal((1.05, false), (state.Eta, state.Hard)); // set for epoch 0 on construction
        Assert.IsAssignableFrom<ResearchKit.Training.ITrainerCallback>(cb);
        cb.OnEpochEnd(null!, 0); // the trainer is not read
        Assert.Equal(1.05 * 1.05, state.Eta, 12);
        cb.OnEpochEnd(null!, 2);
        Assert.True(state.Hard);
        cb.SetEpoch(1); // resuming at epoch 1: same state as reached by running
        Assert.Equal((BinaryRelaxState.At(1, cb.Schedule).Eta, false), (state.Eta, state.Hard));
    }

    [Fact]
    public void Callback_InATrainer_GivesEachEpochItsPhase()
    {
        var model = SmallNet(3);
        var br = BinaryRelax.Apply(model, BinaryRelax.Projection(1), BinaryRelaxSchedule.BinaryRelaxCode(2));
        var trainer = new ResearchKit.Training.Trainer(model, new Sgd(model.Parameters(), lr: 0.01), (o, t) => F.CrossEntropy(o, t),
            new ResearchKit.Training.TrainerOptions { MaxEpochs = 4 });
        trainer.Callbacks.Add(br.Callback);
        var seen = new List<(int Epoch, double Eta, bool Hard)>();
        var x = Tensor.Randn([2, 3, 8, 8], new Generator(4));
        var y = Tensor.FromArray(new long[] { 0, 3 }, [2]);
        IEnumerable<(Tensor, Tensor)> Batches(int epoch, int skip)
        {
            seen.Add((epoch, br.State.Eta, br.State.Hard)); // read when the epoch's batches start
            yield return (x, y);
        }
        trainer.Fit(Batches, 1);
        Assert.Equal(new[] { 0, 1, 2, 3 }, seen.Select(s => s.Epoch));
        Assert.Equal(new[] { false, false, true, true }, seen.Select(s => s.Hard));
        Assert.Equal(1.05, seen[0].Eta, 12);
        Assert.Equal(1.05 * 1.05, seen[1].Eta, 12);
    }

    [Fact]
    public void Projection_Factory()
    {
        Assert.IsType<BinaryProjection>(BinaryRelax.Projection(1));
        Assert.Equal(TernaryScale.MeanOfKept, Assert.IsType<TernaryProjection>(BinaryRelax.Projection(2)).ScaleRule);
        for (int b = 3; b <= 8; b++) Assert.Equal(b, Assert.IsType<SignMagnitudeProjection>(BinaryRelax.Projection(b)).BitWidth);
        Assert.Contains("3..8", Assert.Throws<ArgumentException>(() => BinaryRelax.Projection(0)).Message);
        Assert.Throws<ArgumentException>(() => BinaryRelax.Projection(9));
    }

    private static Sequential SmallNet(long seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Conv2d(3, 4, 3, padding: 1, bias: false, generator: g), new BatchNorm2d(4), new ReLU(),
            new Conv2d(4, 6, 1, stride: 2, bias: true, generator: g), new ReLU(), new Flatten(), new Linear(6 * 4 * 4, 5, generator: g));
    }

    [Fact]
    public void Apply_ConvertsConvsOnly_SharingTheFloatTensors_AndOneState()
    {
        var model = new ResNetCifar(8, numClasses: 5, generator: new Generator(1));
        var convs = model.NamedModules().Where(nm => nm.Module is Conv2d).Select(nm => nm.Name).ToList();
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var keys = model.StateDict().Keys.ToList();
        var br = BinaryRelax.Apply(model, BinaryRelax.Projection(2), BinaryRelaxSchedule.EnResNetScript);

        Assert.Equal(convs, br.Sites);
        Assert.Contains("conv1", br.Sites);
        Assert.Contains("layer2.0.conv1", br.Sites);
        Assert.Same(model, br.Model);
        Assert.IsType<Linear>(model.GetSubmodule("linear"));
        Assert.IsType<BatchNorm2d>(model.GetSubmodule("layer1.0.bn1"));
        Assert.Equal(keys, model.StateDict().Keys.ToList());
        foreach (var (name, t) in model.NamedParameters()) Assert.Same(before[name], t);
        foreach (var site in br.Sites)
        {
            var layer = model.GetSubmodule<SharedQuantConv2d>(site);
            Assert.Same(br.State, Assert.IsType<BinaryRelaxQuantizer>(layer.WeightQuant).State);
            Assert.Null(layer.InputQuant);
        }
        Assert.Equal((1.0, false), (br.State.Eta, br.State.Hard)); // set for epoch 0
        Assert.Same(br.State, br.Callback.State);

        var firstFloat = new ResNetCifar(8, numClasses: 5, generator: new Generator(1));
        var br2 = BinaryRelax.Apply(firstFloat, BinaryRelax.Projection(1), BinaryRelaxSchedule.EnResNetScript, quantizeFirstConv: false);
        Assert.IsType<Conv2d>(firstFloat.GetSubmodule("conv1"));
        Assert.Equal(convs.Skip(1), br2.Sites);
    }

    [Fact]
    public void Apply_OptimizerStepOnTheFloatWeight_ChangesTheForward()
    {
        var model = SmallNet(2);
        var w = ((Conv2d)model.GetSubmodule("0")).Weight;
        var br = BinaryRelax.Apply(model, BinaryRelax.Projection(4), BinaryRelaxSchedule.BinaryRelaxCode());
        Assert.Same(w, model.GetSubmodule<SharedQuantConv2d>("0").Weight);
        var x = Tensor.Randn([2, 3, 8, 8], new Generator(3));
        var y = Tensor.FromArray(new long[] { 1, 4 }, [2]);
        model.Eval();
        float[] out0;
        using (Torch.NoGrad()) out0 = ((Sequential)model).Forward(x).ToArray();
        var w0 = w.ToArray();
        var opt = new Sgd(model.Parameters(), lr: 0.5);
        F.CrossEntropy(((Sequential)model).Forward(x), y).Backward();
        Assert.NotNull(w.Grad);
        opt.Step();
        Assert.NotEqual(w0, w.ToArray());
        float[] out1;
        using (Torch.NoGrad()) out1 = ((Sequential)model).Forward(x).ToArray();
        Assert.NotEqual(out0, out1);
        Assert.Equal(2, br.Sites.Count);
    }

    [Fact]
    public void HardPhase_EqualsTheModelWithProjectedWeights_AndQuantizedWeightsReportsThem()
    {
        var x = Tensor.Randn([3, 3, 8, 8], new Generator(7));
        var quantized = SmallNet(5);
        var br = BinaryRelax.Apply(quantized, new TernaryProjection(), BinaryRelaxSchedule.BinaryRelaxCode(2));
        br.Callback.SetEpoch(2);
        Assert.True(br.State.Hard);

        var reference = SmallNet(5);
        var projected = br.QuantizedWeights();
        Assert.Equal(br.Sites, projected.Select(p => p.Path));
        using (Torch.NoGrad())
            foreach (var (path, pw) in projected)
            {
                var conv = reference.GetSubmodule<Conv2d>(path);
                Close(new TernaryProjection().Project(conv.Weight).ToArray(), pw.ToArray(), 0f); // same float weights before conversion
                conv.Weight.CopyFrom(pw);
            }
        quantized.Eval(); reference.Eval();
        float[] a, b;
        using (Torch.NoGrad()) { a = quantized.Forward(x).ToArray(); b = reference.Forward(x).ToArray(); }
        Close(b, a, 1e-6f);
        Assert.Contains(projected.SelectMany(p => p.Weight.ToArray()), v => v == 0f); // ternary leaves exact zeros (sparsity)

        br.Callback.SetEpoch(0); // relaxed again: the forward differs from the projected model
        using (Torch.NoGrad()) a = quantized.Forward(x).ToArray();
        Assert.NotEqual(b, a);
    }

    [Fact]
    public void Apply_RefusesAQuantizedModel_AndAModelWithoutConvs()
    {
        var model = SmallNet(1);
        BinaryRelax.Apply(model, BinaryRelax.Projection(1), BinaryRelaxSchedule.EnResNetScript);
        var again = Assert.Throws<InvalidOperationException>(() => BinaryRelax.Apply(model, BinaryRelax.Projection(1), BinaryRelaxSchedule.EnResNetScript));
        Assert.Contains("already quantized", again.Message);
        Assert.Contains("'0'", again.Message);
        var other = SmallNet(1);
        ModelQuantizer.Quantize(other, QuantSpec.DoReFaPact(4, 4));
        Assert.Contains("already quantized", Assert.Throws<InvalidOperationException>(() => BinaryRelax.Apply(other, BinaryRelax.Projection(2), BinaryRelaxSchedule.EnResNetScript)).Message);
        var mlp = new Sequential(new Linear(4, 2, generator: new Generator(0)));
        Assert.Contains("no Conv2d", Assert.Throws<InvalidOperationException>(() => BinaryRelax.Apply(mlp, BinaryRelax.Projection(2), BinaryRelaxSchedule.EnResNetScript)).Message);
        Assert.IsType<Linear>(mlp.GetSubmodule("0"));
    }
}
