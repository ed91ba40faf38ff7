using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Tests.Parity;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// PyTorch 1.13 parity on the committed fixtures: modules load the fixture's state dict with LoadStateDict (which also
/// proves our parameter/buffer names are PyTorch's), run forward, backward with the fixture's upstream gradient, and
/// every output, gradient and updated buffer is compared at 1e-4 rel / 1e-5 abs.
/// </summary>
public class NnParityTests
{
    private static void AssertParamGrads(Fixture fx, Module m)
    {
        foreach (var (name, p) in m.NamedParameters())
        {
            Assert.NotNull(p.Grad);
            fx.AssertClose("grad.param." + name, p.Grad!);
        }
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("linear_3d")]
    public void Linear(string name)
    {
        var fx = Fixture.Load(name);
        var m = new Linear(fx.Int("in_features"), fx.Int("out_features"), fx.Bool("bias"));
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var y = m.Forward(x);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        fx.AssertClose("grad.in.x", x.Grad!);
        AssertParamGrads(fx, m);
    }

    private static BatchNormBase MakeBatchNorm(Fixture fx, bool twoD)
    {
        int c = fx.Int("num_features");
        float eps = fx.Float("eps"), mom = fx.Float("momentum");
        BatchNormBase m = twoD ? new BatchNorm2d(c, eps, mom) : new BatchNorm1d(c, eps, mom);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], m.StateDict().Keys);
        m.LoadStateDict(fx.Params());
        return m;
    }

    [Theory]
    [InlineData("batchnorm2d_train", true)]
    [InlineData("batchnorm1d_train", false)]
    public void BatchNormTrain(string name, bool twoD)
    {
        var fx = Fixture.Load(name);
        var m = MakeBatchNorm(fx, twoD);
        Assert.Equal(7, m.NumBatchesTracked!.ToInt64Array()[0]);
        var x = fx["in.x"].RequiresGrad_();
        var y = m.Forward(x);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        fx.AssertClose("grad.in.x", x.Grad!);
        AssertParamGrads(fx, m);
        fx.AssertClose("after.param.running_mean", m.RunningMean!);
        fx.AssertClose("after.param.running_var", m.RunningVar!);
        Assert.Equal(DType.Int64, m.NumBatchesTracked!.DType);
        Assert.Equal(0, m.NumBatchesTracked.Dim);
        Assert.Equal(fx["after.param.num_batches_tracked"].ToInt64Array(), m.NumBatchesTracked.ToInt64Array());
    }

    [Fact]
    public void BatchNorm2dEval_UsesRunningStatsAndLeavesThem()
    {
        var fx = Fixture.Load("batchnorm2d_eval");
        var m = MakeBatchNorm(fx, true);
        m.Eval();
        var x = fx["in.x"].RequiresGrad_();
        var y = m.Forward(x);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        fx.AssertClose("grad.in.x", x.Grad!);
        AssertParamGrads(fx, m);
        fx.AssertClose("param.running_mean", m.RunningMean!, 0, 0);
        fx.AssertClose("param.running_var", m.RunningVar!, 0, 0);
        Assert.Equal(fx["param.num_batches_tracked"].ToInt64Array(), m.NumBatchesTracked!.ToInt64Array());
    }

    [Fact]
    public void LayerNorm()
    {
        var fx = Fixture.Load("layernorm");
        var shape = fx.Config.GetProperty("normalized_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var m = new LayerNorm(shape, fx.Float("eps"), fx.Bool("elementwise_affine"));
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var y = m.Forward(x);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        fx.AssertClose("grad.in.x", x.Grad!);
        AssertParamGrads(fx, m);
    }

    [Theory]
    [InlineData("embedding")]
    [InlineData("embedding_padding")]
    public void Embedding(string name)
    {
        var fx = Fixture.Load(name);
        var pad = fx.Config.GetProperty("padding_idx");
        int? paddingIdx = pad.ValueKind == System.Text.Json.JsonValueKind.Null ? null : pad.GetInt32();
        var m = new Embedding(fx.Int("num_embeddings"), fx.Int("embedding_dim"), paddingIdx);
        m.LoadStateDict(fx.Params());
        var y = m.Forward(fx["in.indices"]);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        AssertParamGrads(fx, m);
        if (paddingIdx is { } p)
            Assert.All(m.Weight.Grad!.Select(0, p).ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("cross_entropy")]
    [InlineData("cross_entropy_ls")]
    [InlineData("cross_entropy_sum")]
    [InlineData("cross_entropy_ignore")]
    public void CrossEntropy(string name)
    {
        var fx = Fixture.Load(name);
        var crit = new CrossEntropyLoss(ignoreIndex: fx.Int("ignore_index"), reduction: fx.Config.GetProperty("reduction").GetString()!,
            labelSmoothing: fx.Float("label_smoothing"));
        var logits = fx["in.logits"].RequiresGrad_();
        var loss = crit.Forward(logits, fx["in.target"]);
        fx.AssertClose("out.loss", loss);
        loss.Backward(fx["gout.loss"]);
        fx.AssertClose("grad.in.logits", logits.Grad!);
    }

    [Fact]
    public void NllLoss()
    {
        var fx = Fixture.Load("nll_loss");
        var x = fx["in.x"].RequiresGrad_();
        var loss = new NLLLoss(reduction: fx.Config.GetProperty("reduction").GetString()!).Forward((x, fx["in.target"]));
        fx.AssertClose("out.loss", loss);
        loss.Backward(fx["gout.loss"]);
        fx.AssertClose("grad.in.x", x.Grad!);
    }

    [Fact]
    public void LogSoftmax()
    {
        var fx = Fixture.Load("log_softmax");
        var x = fx["in.x"].RequiresGrad_();
        var y = new LogSoftmax(fx.Int("dim")).Forward(x);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        fx.AssertClose("grad.in.x", x.Grad!);
        // Same values through the functional form and the log of softmax.
        AssertClose.Equal(y.ToArray(), F.Softmax(fx["in.x"], 1).Log().ToArray(), 1e-5, 1e-5, "log(softmax)");
    }
}
