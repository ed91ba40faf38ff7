using ResearchKit.Attacks;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// The device ops that quantization-aware training and attacks need beyond a float training step (rounding, comparisons,
/// where, clamp, max with indices, softmax, in-place updates, factories with a device, RMSprop), each against the CPU
/// engine, and then a DoReFa + PACT training step and a PGD attack run whole on the device.
/// </summary>
public sealed class DeviceOpsTests
{

    private static Tensor Randn(Generator g, params int[] shape) => Tensor.Randn(shape, g);

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void RoundingSignAndTheOtherUnaryOpsMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(21);
        // Halfway cases (ties to even), a value just below a half, large integers, and the specials.
        var special = Tensor.FromArray(new[] { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 8388609f, -0f, 0f, 3.7f, -3.7f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f }, 16);
        var x = Randn(g, 5, 7).T * 3f;   // a strided view
        var pos = Tensor.Rand([7, 5], g) + 0.25f;
        foreach (var t in new[] { special, x })
        {
            var d = t.To(device);
            GpuTest.CloseEach(t.Round().ToArray(), d.Round().ToArray(), "round", 0f);
            GpuTest.CloseEach(t.Floor().ToArray(), d.Floor().ToArray(), "floor", 0f);
            GpuTest.CloseEach(t.Ceil().ToArray(), d.Ceil().ToArray(), "ceil", 0f);
            GpuTest.CloseEach(t.Trunc().ToArray(), d.Trunc().ToArray(), "trunc", 0f);
            GpuTest.CloseEach(t.Sign().ToArray(), d.Sign().ToArray(), "sign", 0f);
            GpuTest.CloseEach(t.Abs().ToArray(), d.Abs().ToArray(), "abs", 0f);
            GpuTest.CloseEach(t.Square().ToArray(), d.Square().ToArray(), "square", 1e-6f);
        }
        var dx = x.To(device); var dpos = pos.To(device);
        GpuTest.CloseEach(x.Sin().ToArray(), dx.Sin().ToArray(), "sin", 1e-5f);
        GpuTest.CloseEach(x.Cos().ToArray(), dx.Cos().ToArray(), "cos", 1e-5f);
        GpuTest.CloseEach(pos.Reciprocal().ToArray(), dpos.Reciprocal().ToArray(), "reciprocal", 1e-6f);
        GpuTest.CloseEach(pos.Rsqrt().ToArray(), dpos.Rsqrt().ToArray(), "rsqrt", 1e-6f);
        GpuTest.CloseEach(pos.Pow(1.7f).ToArray(), dpos.Pow(1.7f).ToArray(), "pow (scalar)", 1e-5f);
        GpuTest.CloseEach(pos.Pow(x).ToArray(), dpos.Pow(dx).ToArray(), "pow (tensor exponent, strided)", 1e-5f);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ComparisonsBroadcastAndGiveZeroOneMasks(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var a = Tensor.FromArray(new[] { 1f, 2f, float.NaN, 4f, -1f, 0f }, 2, 3);
        var b = Tensor.FromArray(new[] { 2f, 2f, 0f }, 3);   // broadcast along rows
        var (da, db) = (a.To(device), b.To(device));
        GpuTest.CloseEach(a.Eq(b).ToArray(), da.Eq(db).ToArray(), "eq", 0f);
        GpuTest.CloseEach(a.Ne(b).ToArray(), da.Ne(db).ToArray(), "ne (NaN ≠ anything)", 0f);
        GpuTest.CloseEach(a.Lt(b).ToArray(), da.Lt(db).ToArray(), "lt", 0f);
        GpuTest.CloseEach(a.Le(b).ToArray(), da.Le(db).ToArray(), "le", 0f);
        GpuTest.CloseEach(a.Gt(b).ToArray(), da.Gt(db).ToArray(), "gt", 0f);
        GpuTest.CloseEach(a.Ge(1.5f).ToArray(), da.Ge(1.5f).ToArray(), "ge (scalar)", 0f);
        Assert.Equal(device, da.Gt(db).Device);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void WhereIsAnExactSelectWithTheCpuGradients(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(22);
        var cond = Randn(g, 4, 1).Gt(0f);                                  // broadcast along columns
        var a = Tensor.FromArray(new[] { float.PositiveInfinity, 1f, 2f, 3f, 4f }, 5).RequiresGrad_();
        var b = Randn(g, 4, 5).RequiresGrad_();
        var da = a.Detach().To(device).RequiresGrad_(); var db = b.Detach().To(device).RequiresGrad_();
        var y = Tensor.Where(cond, a, b); var dy = Tensor.Where(cond.To(device), da, db);
        GpuTest.CloseEach(y.ToArray(), dy.ToArray(), "where (∞ picked, never 0·∞)", 0f);
        var w = Randn(g, 4, 5);
        (Tensor.Where(cond, a, b) * w).Sum().Backward();
        (Tensor.Where(cond.To(device), da, db) * w.To(device)).Sum().Backward();
        GpuTest.CloseScaled(a.Grad!.ToArray(), da.Grad!.ToArray(), "grad a (summed over the broadcast)", 1e-6f);
        GpuTest.CloseScaled(b.Grad!.ToArray(), db.Grad!.ToArray(), "grad b", 1e-6f);
        // Scalars on the CPU (0-dim) go with a device condition, as in PyTorch.
        var mixed = Tensor.Where(cond.To(device), Tensor.Scalar(1f), Tensor.Scalar(-1f));
        Assert.Equal(device, mixed.Device);
        GpuTest.CloseEach(Tensor.Where(cond, Tensor.Scalar(1f), Tensor.Scalar(-1f)).ToArray(), mixed.ToArray(), "where of scalars", 0f);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ClampAndItsGradientMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(23);
        var x = (Randn(g, 6, 5) * 2f).RequiresGrad_();
        var dx = x.Detach().To(device).RequiresGrad_();
        var w = Randn(g, 6, 5);
        foreach (var (lo, hi) in new (float?, float?)[] { (-0.5f, 1f), (null, 0.3f), (0f, null), (1f, 1f) })
        {
            x.Grad = null; dx.Grad = null;
            var y = x.Clamp(lo, hi); var dy = dx.Clamp(lo, hi);
            GpuTest.CloseEach(y.ToArray(), dy.ToArray(), $"clamp({lo}, {hi})", 0f);
            (y * w).Sum().Backward(); (dy * w.To(device)).Sum().Backward();
            GpuTest.CloseEach(x.Grad!.ToArray(), dx.Grad!.ToArray(), $"clamp({lo}, {hi}) gradient", 0f);
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void MaxAndMinAlongADimGiveTheCpuIndicesAndGradients(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(24);
        var x = Randn(g, 3, 7, 4);
        // Ties (first index wins) and a NaN (wins) in known places.
        var data = x.ToArray();
        data[0 * 28 + 2 * 4 + 1] = 9f; data[0 * 28 + 5 * 4 + 1] = 9f;
        data[1 * 28 + 3 * 4 + 2] = float.NaN;
        var xt = Tensor.FromArray(data, 3, 7, 4).RequiresGrad_();
        var dx = xt.Detach().To(device).RequiresGrad_();
        foreach (int dim in new[] { 0, 1, 2, -1 })
            foreach (bool keep in new[] { false, true })
                foreach (bool max in new[] { true, false })
                {
                    xt.Grad = null; dx.Grad = null;
                    var (v, i) = max ? xt.Max(dim, keep) : xt.Min(dim, keep);
                    var (dv, di) = max ? dx.Max(dim, keep) : dx.Min(dim, keep);
                    string what = $"{(max ? "max" : "min")}(dim {dim}, keepDim {keep})";
                    Assert.Equal(v.Shape, dv.Shape);
                    GpuTest.CloseEach(v.ToArray(), dv.ToArray(), what, 0f);
                    Assert.Equal(device, di.Device);
                    Assert.Equal(i.ToInt64Array(), di.ToInt64Array());
                    var w = Tensor.Randn(v.Shape.ToArray(), g);
                    (v * w).Sum().Backward();
                    (dv * w.To(device)).Sum().Backward();
                    GpuTest.CloseEach(xt.Grad!.ToArray(), dx.Grad!.ToArray(), what + " gradient", 0f);
                }
        Assert.Equal(x.Argmax(1).ToInt64Array(), x.To(device).Argmax(1).ToInt64Array());
        // The global maximum: ties share the gradient equally, as on the CPU.
        var t = Tensor.FromArray(new[] { 1f, 5f, 5f, -2f }, 2, 2).RequiresGrad_();
        var dt = t.Detach().To(device).RequiresGrad_();
        t.Max().Backward(); dt.Max().Backward();
        Assert.Equal(5f, dt.Max().Item());
        GpuTest.CloseEach(t.Grad!.ToArray(), dt.Grad!.ToArray(), "global max gradient (tie)", 0f);
        Assert.Equal(-2f, dt.Min().Item());
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void SoftmaxAndLogSoftmaxAlongAnyDimMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(25);
        var x = (Randn(g, 3, 5, 4) * 4f).RequiresGrad_();
        var dx = x.Detach().To(device).RequiresGrad_();
        foreach (int dim in new[] { 0, 1, 2 })
            foreach (bool log in new[] { false, true })
            {
                x.Grad = null; dx.Grad = null;
                var y = log ? F.LogSoftmax(x, dim) : F.Softmax(x, dim);
                var dy = log ? F.LogSoftmax(dx, dim) : F.Softmax(dx, dim);
                string what = $"{(log ? "log-softmax" : "softmax")} dim {dim}";
                GpuTest.CloseEach(y.ToArray(), dy.ToArray(), what, 1e-5f);
                var w = Tensor.Randn(y.Shape.ToArray(), g);
                (y * w).Sum().Backward(); (dy * w.To(device)).Sum().Backward();
                GpuTest.CloseScaled(x.Grad!.ToArray(), dx.Grad!.ToArray(), what + " gradient", 1e-5f);
            }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void InPlaceOpsWriteIntoTheDeviceStorageThroughViews(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(26);
        var c = Randn(g, 4, 6);
        var d = c.To(device);
        var other = Randn(g, 4, 3);
        // Through column slices (strided views of the same storage), as on the CPU.
        foreach (var (name, op) in new (string, Action<Tensor, Tensor>)[]
        {
            ("Add_", (t, o) => t.Add_(o, 0.5f)), ("Sub_", (t, o) => t.Sub_(o)), ("Mul_", (t, o) => t.Mul_(o)),
            ("Div_", (t, o) => t.Div_(o.Abs() + 1f)), ("Mul_(float)", (t, _) => t.Mul_(-2f)), ("Add_(float)", (t, _) => t.Add_(0.25f)),
            ("Clamp_", (t, _) => t.Clamp_(-0.5f, 0.5f)), ("Fill_", (t, _) => t.Fill_(3f)),
        })
        {
            op(c.Narrow(1, 2, 3), other);
            op(d.Narrow(1, 2, 3), other.To(device));
            GpuTest.CloseEach(c.ToArray(), d.ToArray(), name, 1e-6f);
        }
        d.Zero_();
        Assert.All(d.ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void FactoriesPutTheSameNumbersOnTheDevice(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        Assert.Equal(device, Tensor.Zeros([2, 3], device).Device);
        Assert.All(Tensor.Zeros([2, 3], device).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones([4], device).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Tensor.Full([3], 2.5f, device).ToArray(), v => Assert.Equal(2.5f, v));
        Assert.All(Torch.Zeros([2], device).ToArray(), v => Assert.Equal(0f, v));
        // Random factories draw on the host generator: one seed, the same numbers on every device.
        Assert.Equal(Tensor.Randn([5, 3], new Generator(7)).ToArray(), Tensor.Randn([5, 3], new Generator(7), device).ToArray());
        Assert.Equal(Tensor.Rand([6], new Generator(8)).ToArray(), Tensor.Rand([6], new Generator(8), device).ToArray());
        Assert.Equal(Tensor.Uniform([6], -1f, 1f, new Generator(9)).ToArray(), Tensor.Uniform([6], -1f, 1f, new Generator(9), device).ToArray());
        var labels = Tensor.Randint(0, 10, [8], new Generator(3), device);
        Assert.Equal(DType.Int64, labels.DType);
        Assert.Equal(device, labels.Device);
        Assert.Equal(Tensor.Randint(0, 10, [8], new Generator(3)).ToInt64Array(), labels.ToInt64Array());
        Assert.Equal(Tensor.Arange(0f, 5f).ToArray(), Tensor.Arange(0f, 5f, device: device).ToArray());
        Assert.Equal(Tensor.Eye(3).ToArray(), Tensor.Eye(3, device: device).ToArray());
        Assert.Equal(device, Tensor.FromArray([1f, 2f], [2], device).Device);
        Assert.Equal(Device.Cpu, Tensor.Zeros([2], Device.Cpu).Device);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void RmsPropStepsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        foreach (var (centered, momentum, wd) in new[] { (false, 0.0, 0.0), (true, 0.9, 0.01) })
        {
            var g = new Generator(27);
            var p = Randn(g, 4, 5).RequiresGrad_();
            var dp = p.Detach().To(device).RequiresGrad_();
            var opt = new RmsProp([p], lr: 0.01, momentum: momentum, weightDecay: wd, centered: centered);
            var dopt = new RmsProp([dp], lr: 0.01, momentum: momentum, weightDecay: wd, centered: centered);
            for (int step = 0; step < 3; step++)
            {
                var target = Randn(g, 4, 5);
                opt.ZeroGrad(); dopt.ZeroGrad();
                (p - target).Square().Sum().Backward();
                (dp - target.To(device)).Square().Sum().Backward();
                opt.Step(); dopt.Step();
            }
            GpuTest.CloseScaled(p.ToArray(), dp.ToArray(), $"RMSprop (centered {centered}, momentum {momentum}) after 3 steps", 1e-5f);
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void CatAlongAnyDimCopiesViewsIntoPlace(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(28);
        var a = Randn(g, 2, 3, 4).RequiresGrad_();
        var b = Randn(g, 4, 3, 2).Permute(2, 1, 0).RequiresGrad_();   // a strided view, (2, 3, 4)
        var da = a.Detach().To(device).RequiresGrad_();
        var db0 = b.Detach().Contiguous().To(device).RequiresGrad_();
        foreach (int dim in new[] { 0, 1, 2 })
        {
            a.Grad = null; da.Grad = null;
            var y = Tensor.Cat([a, b.Detach()], dim);
            var dy = Tensor.Cat([da, db0.Detach().Permute(0, 1, 2)], dim);
            GpuTest.CloseEach(y.ToArray(), dy.ToArray(), $"cat dim {dim}", 0f);
            var w = Tensor.Randn(y.Shape.ToArray(), g);
            (y * w).Sum().Backward(); (dy * w.To(device)).Sum().Backward();
            GpuTest.CloseEach(a.Grad!.ToArray(), da.Grad!.ToArray(), $"cat dim {dim} gradient", 0f);
        }
        var strided = Randn(g, 3, 5).T;   // (5, 3) transposed view
        GpuTest.CloseEach(Tensor.Stack([strided, strided * 2f], 1).ToArray(), Tensor.Stack([strided.To(device), strided.To(device) * 2f], 1).ToArray(), "stack", 0f);
        Assert.Throws<ArgumentException>(() => Tensor.Cat([a.Detach(), da.Detach()], 0));
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AnLstmRunsForwardAndBackwardOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        foreach (var (layers, bidirectional, batchFirst) in new[] { (1, false, false), (2, true, true) })
        {
            var cpu = new Lstm(5, 7, numLayers: layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: new Generator(40));
            var dev = new Lstm(5, 7, numLayers: layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: new Generator(40));
            dev.To(device);
            var g = new Generator(41);
            int dirs = bidirectional ? 2 : 1;
            var x = batchFirst ? Randn(g, 3, 6, 5) : Randn(g, 6, 3, 5);
            var h0 = Randn(g, layers * dirs, 3, 7);
            var c0 = Randn(g, layers * dirs, 3, 7);
            var (y, hN, cN) = cpu.Forward(x, (h0, c0));
            var (dy, dhN, dcN) = dev.Forward(x.To(device), (h0.To(device), c0.To(device)));
            string what = $"LSTM ({layers} layers, bidirectional {bidirectional}, batch-first {batchFirst})";
            Assert.Equal(device, dy.Device);
            GpuTest.CloseEach(y.ToArray(), dy.ToArray(), what + " output", 1e-5f);
            GpuTest.CloseEach(hN.ToArray(), dhN.ToArray(), what + " h_n", 1e-5f);
            GpuTest.CloseEach(cN.ToArray(), dcN.ToArray(), what + " c_n", 1e-5f);
            var w = Tensor.Randn(y.Shape.ToArray(), g);
            ((y * w).Sum() + cN.Sum()).Backward();
            ((dy * w.To(device)).Sum() + dcN.Sum()).Backward();
            var pc = cpu.NamedParameters().ToList(); var pd = dev.NamedParameters().ToList();
            for (int i = 0; i < pc.Count; i++)
                GpuTest.CloseScaled(pc[i].Parameter.Grad!.ToArray(), pd[i].Parameter.Grad!.ToArray(), $"{what} grad {pc[i].Name}", 1e-5f);
        }
        var cell = new LstmCell(4, 3, generator: new Generator(42));
        var dcell = new LstmCell(4, 3, generator: new Generator(42));
        dcell.To(device);
        var xc = Randn(new Generator(43), 2, 4);
        GpuTest.CloseEach(cell.Forward(xc, null).H.ToArray(), dcell.Forward(xc.To(device), null).H.ToArray(), "LSTM cell (zero state made on the device)", 1e-5f);
        var gru = new Gru(4, 3);
        gru.To(device);
        var e = Assert.Throws<NotSupportedException>(() => gru.Forward(Randn(new Generator(44), 2, 1, 4).To(device)));
        Assert.Contains("LSTM has", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void BinaryTernaryAndLsqQuantizersRunOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(34);
        var w = (Randn(g, 6, 3, 3, 3) * 0.3f).RequiresGrad_();
        var dw = w.Detach().To(device).RequiresGrad_();
        var up = Randn(g, 6, 3, 3, 3);
        var quantizers = new (string Name, Func<IQuantizer> Make)[]
        {
            ("binary per tensor", () => new BinaryQuantizer()),
            ("binary per channel", () => new BinaryQuantizer(QuantGranularity.PerChannel)),
            ("ternary per channel", () => new TernaryQuantizer(QuantGranularity.PerChannel)),
            ("LSQ 3-bit per channel", () => LsqQuantizer.ForWeights(3, QuantGranularity.PerChannel, channels: 6, initialStep: 0.1f)),
            ("LSQ 4-bit activations (step from the first batch)", () => LsqQuantizer.ForActivations(4)),
        };
        foreach (var (name, make) in quantizers)
        {
            var qc = make(); var qd = make();
            new QuantAct(qd).To(device);   // a learned step is a module parameter: it moves with the module
            w.Grad = null; dw.Grad = null;
            var yc = qc.Quantize(w); var yd = qd.Quantize(dw);
            Assert.Equal(device, yd.Device);
            GpuTest.CloseEach(yc.ToArray(), yd.ToArray(), name, 1e-6f);
            (yc * up).Sum().Backward(); (yd * up.To(device)).Sum().Backward();
            GpuTest.CloseEach(w.Grad!.ToArray(), dw.Grad!.ToArray(), name + " gradient (straight through)", 1e-6f);
            if (qc is LsqQuantizer lc && qd is LsqQuantizer ld)
                GpuTest.CloseScaled(lc.Step.Grad!.ToArray(), ld.Step.Grad!.ToArray(), name + " step gradient", 1e-5f);
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void DropoutDrawsTheHostMaskForOneSeed(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var x = Randn(new Generator(35), 6, 7).RequiresGrad_();
        var dx = x.Detach().To(device).RequiresGrad_();
        var y = F.Dropout(x, 0.3f, generator: new Generator(36));
        var dy = F.Dropout(dx, 0.3f, generator: new Generator(36));
        Assert.Equal(device, dy.Device);
        GpuTest.CloseEach(y.ToArray(), dy.ToArray(), "dropout", 0f);
        y.Sum().Backward(); dy.Sum().Backward();
        GpuTest.CloseEach(x.Grad!.ToArray(), dx.Grad!.ToArray(), "dropout gradient", 0f);
    }

    // A small SAT network: DoReFa 4-bit weights, PACT 4-bit activations, batch norm, a linear head.
    private sealed class TinyQat : Module<Tensor, Tensor>
    {
        public TinyQat(Generator g)
        {
            Conv = RegisterModule("conv", new QuantConv2d(3, 6, 3, new DoReFaWeightQuantizer(4), padding: 1, bias: false, generator: g));
            Bn = RegisterModule("bn", new BatchNorm2d(6));
            Act = RegisterModule("act", new QuantAct(new PactActivationQuantizer(4, initialAlpha: 1.5f)));
            Head = RegisterModule("head", new Linear(6, 4, generator: g));
        }
        public QuantConv2d Conv { get; }
        public BatchNorm2d Bn { get; }
        public QuantAct Act { get; }
        public Linear Head { get; }
        protected override Tensor ForwardCore(Tensor x) => Head.Forward(F.AdaptiveAvgPool2d(Act.Forward(Bn.Forward(Conv.Forward(x))), (1, 1)).Flatten(1));
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AQuantizationAwareTrainingStepRunsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var cpu = new TinyQat(new Generator(31));
        var dev = new TinyQat(new Generator(31));
        var optC = new Sgd(cpu.Parameters(), lr: 0.1, momentum: 0.9);
        var optD = new Sgd(dev.Parameters(), lr: 0.1, momentum: 0.9);
        dev.To(device);
        var g = new Generator(32);
        for (int step = 0; step < 3; step++)
        {
            var x = Tensor.Rand([5, 3, 6, 6], g);
            var y = Tensor.Randint(0, 4, [5], g);
            optC.ZeroGrad(); optD.ZeroGrad();
            var lc = F.CrossEntropy(cpu.Forward(x), y);
            var ld = F.CrossEntropy(dev.Forward(x.To(device)), y.To(device));
            GpuTest.CloseEach(lc.ToArray(), ld.ToArray(), $"QAT loss at step {step}", 1e-5f);
            lc.Backward(); ld.Backward();
            optC.Step(); optD.Step();
        }
        var sc = cpu.StateDict(); var sd = dev.StateDict();
        foreach (var (name, t) in sc)
        {
            if (t.DType != DType.Float32) continue;
            GpuTest.CloseScaled(t.ToArray(), sd[name].ToArray(), name, 2e-5f);
        }
        Assert.Equal(device, dev.Act.Quantizer is PactActivationQuantizer pact ? pact.Alpha.Device : Device.Cpu);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void PgdWithARandomStartRunsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(33);
        var model = new Sequential(new Conv2d(1, 4, 3, padding: 1, generator: g), new ReLU(), new Flatten(), new Linear(4 * 6 * 6, 3, generator: g));
        model.Eval();
        var x = Tensor.Rand([4, 1, 6, 6], g);
        var y = Tensor.FromArray(new long[] { 0, 1, 2, 1 }, 4);
        var threat = new ThreatModel(AttackNorm.LInf, 8f / 255);
        var adv = new Pgd(model, threat, steps: 4, stepSize: 2f / 255, randomStart: true, seed: 5).Perturb(x, y);
        model.To(device);
        var dadv = new Pgd(model, threat, steps: 4, stepSize: 2f / 255, randomStart: true, seed: 5).Perturb(x.To(device), y.To(device));
        Assert.Equal(device, dadv.Device);
        GpuTest.CloseEach(adv.ToArray(), dadv.ToArray(), "PGD-4 adversarial examples", 1e-6f);
        var delta = (dadv - x.To(device)).Abs().Max().Item();
        Assert.True(delta <= 8f / 255 + 1e-6f, $"the perturbation {delta} leaves the ε-ball");
    }
}
