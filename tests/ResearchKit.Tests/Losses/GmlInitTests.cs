using ResearchKit.Losses;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tests.Training;
using Xunit;

namespace ResearchKit.Tests.Losses;

/// <summary>GML's class means: their initialization is not stated in the thesis; the default is N(0, 1), a setting.</summary>
public class GmlInitTests
{
    [Fact]
    public void Means_AreDrawnFromNormalWithInitStd()
    {
        var loss = new GmlLoss(256, 40, generator: new Generator(1));
        var m = loss.Means.ToArray();
        double mean = m.Average(v => (double)v), std = Math.Sqrt(m.Average(v => (v - mean) * (v - mean)));
        Assert.Equal(1f, loss.InitStd);
        Assert.InRange(mean, -0.02, 0.02);   // 10,240 draws: the standard error of the mean is 0.01
        Assert.InRange(std, 0.97, 1.03);
        var small = new GmlLoss(256, 40, generator: new Generator(1), initStd: 0.1f).Means.ToArray();
        Assert.Equal(m.Select(v => 0.1f * v), small, (a, b) => Math.Abs(a - b) <= 1e-6f); // same draws, scaled
        Assert.Throws<ArgumentOutOfRangeException>(() => new GmlLoss(4, 2, initStd: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GmlLoss(4, 2, initStd: float.NaN));
    }

    /// <summary>Trains a ReLU feature extractor with GML (α = 0.7, SGD lr 0.2) on the synthetic task; returns the last loss and the test accuracy.</summary>
    private static (double Loss, double Accuracy) Train(float initStd)
    {
        var task = new SyntheticTask(512, seed: 2);
        var test = new SyntheticTask(256, seed: 2, split: 1);
        var g = new Generator(3);
        // Batch-normalized ReLU features, as at the end of a ResNet: their norm (about √(16/2)) does not start small.
        var features = new Sequential(new Linear(SyntheticTask.Features, 32, generator: g), new BatchNorm1d(32), new ReLU(),
            new Linear(32, 16, generator: g), new BatchNorm1d(16), new ReLU());
        var gml = new GmlLoss(16, 2, alpha: 0.7f, generator: g, initStd: initStd);
        var opt = new Sgd(features.Parameters().Concat(gml.Parameters()), lr: 0.2, momentum: 0.9);
        double last = 0;
        for (int epoch = 0; epoch < 6; epoch++)
            foreach (var (x, y) in task.Epoch(epoch, 0, 32))
            {
                opt.ZeroGrad();
                var l = gml.Forward(features.Forward(x), y);
                l.Backward();
                opt.Step();
                last = l.Item();
            }
        var (tx, ty) = test.All(256).Single();
        features.Eval();
        using (Torch.NoGrad())
        {
            var pred = gml.Predict(features.Forward(tx)).ToInt64Array();
            var truth = ty.ToInt64Array();
            return (last, pred.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length);
        }
    }

    [Fact]
    public void TheDefaultInit_LearnsASeparableTask()
    {
        var (loss, acc) = Train(1f);
        Assert.True(acc > 0.95 && loss < 0.1, $"N(0, 1) means: accuracy {acc:P1}, loss {loss:F3}");
    }
}
