using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tensors.Serialization;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests;

/// <summary>The README's engine tour, verbatim, so the first thing a newcomer copies keeps working.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void EngineTour_Runs()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rk-readme-{Guid.NewGuid():N}.safetensors");
        Torch.ManualSeed(0);
        var model = new Sequential(new Conv2d(1, 8, 3, padding: 1), new ReLU(), new MaxPool2d(2),
                                   new Flatten(), new Linear(8 * 14 * 14, 10));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var x = Tensor.Randn([64, 1, 28, 28]); var y = Tensor.Randint(0, 10, [64]);

        opt.ZeroGrad();
        var loss = F.CrossEntropy(model.Forward(x), y);
        loss.Backward();
        opt.Step();

        var gx = Autograd.Grad(F.CrossEntropy(model.Forward(x.RequiresGrad_()), y), x);
        model.Save(path);

        Assert.Equal(x.Shape, gx.Shape);
        Assert.True(gx.Abs().Sum().Item() > 0);
        Assert.Equal(model.StateDict().Keys, SafeTensors.Load(path).Keys);
        File.Delete(path);
    }
}
