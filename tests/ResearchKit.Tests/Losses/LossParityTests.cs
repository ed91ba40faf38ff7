using ResearchKit.Losses;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Losses.LossTestUtil;

namespace ResearchKit.Tests.Losses;

/// <summary>
/// Parity with PyTorch 1.13 on the fixtures of tests/fixtures/make_loss_fixtures.py (N = 6, D = 5, C = 4), where each
/// loss is re-written from the thesis equations: loss ("mean" and "none"), margin-free logits, predictions, and the
/// gradients of the mean loss with respect to the features and the class parameters. Tolerance 1e-5 rel + 1e-6 abs.
/// </summary>
public class LossParityTests
{
    [Fact]
    public void Ams_MatchesPyTorch()
    {
        var fx = Fixture("ams_loss");
        var loss = new AmsLoss(5, 4);
        Assert.Equal((30f, 0.35f), (loss.Scale, loss.Margin));
        loss.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = fx["param.weight"] });
        Check(fx, loss, (f, y) => loss.Forward(f, y), f => loss.Logits(f), f => loss.Predict(f), loss.Weight, "weight",
            () => new AmsLoss(5, 4, reduction: "none"), none => none.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = fx["param.weight"] }));
    }

    [Fact]
    public void Gml_MatchesPyTorch()
    {
        var fx = Fixture("gml_loss");
        var loss = new GmlLoss(5, 4);
        Assert.Equal(0.7f, loss.Alpha);
        loss.LoadStateDict(new Dictionary<string, Tensor> { ["means"] = fx["param.means"] });
        Check(fx, loss, (f, y) => loss.Forward(f, y), f => loss.Logits(f), f => loss.Predict(f), loss.Means, "means",
            () => new GmlLoss(5, 4, reduction: "none"), none => none.LoadStateDict(new Dictionary<string, Tensor> { ["means"] = fx["param.means"] }));
    }

    [Fact]
    public void Mmc_MatchesPyTorch_IncludingTheCenterConstruction()
    {
        var fx = Fixture("mmc_loss");
        var loss = new MmcLoss(5, 4, cmm: 10f); // the fixture's C_MM (its metadata); the default is 100
        Assert.Equal(10f, loss.Cmm);
        Close(fx["param.centers"], loss.PresetCenters, "centers (our Algorithm 1 vs the fixture's float64 one)");
        Check(fx, loss, (f, y) => loss.Forward(f, y), f => loss.Logits(f), f => loss.Predict(f), null, null,
            () => new MmcLoss(5, 4, cmm: 10f, reduction: "none"), _ => { });
        Assert.Empty(loss.Parameters());
    }

    private static void Check<TLoss>(Dictionary<string, Tensor> fx, TLoss loss, Func<Tensor, Tensor, Tensor> forward,
        Func<Tensor, Tensor> logits, Func<Tensor, Tensor> predict, Tensor? param, string? paramName,
        Func<TLoss> makeNone, Action<TLoss> loadNone) where TLoss : ResearchKit.Tensors.Nn.Loss
    {
        var y = fx["in.target"];
        Assert.Equal(Targets, y.ToInt64Array());
        var f = fx["in.features"].RequiresGrad_();
        var l = forward(f, y);
        Close(fx["out.loss"], l, "out.loss");
        l.Backward();
        Close(fx["grad.in.features"], f.Grad!, "grad.in.features");
        if (param is not null) Close(fx["grad.param." + paramName], param.Grad!, "grad.param." + paramName);

        Close(fx["out.logits"], logits(fx["in.features"]), "out.logits");
        Assert.Equal(fx["out.pred"].ToInt64Array(), predict(fx["in.features"]).ToInt64Array());

        var none = makeNone();
        loadNone(none);
        Close(fx["out.loss_none"], none.Forward(fx["in.features"], y), "out.loss_none");
    }
}
