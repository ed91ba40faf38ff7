using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Serialization;
using Xunit;

namespace ResearchKit.Tests.Attacks;

/// <summary>Models, data and oracles shared by the attack tests.</summary>
internal static class AttackTestUtil
{
    /// <summary>The fixture's architecture: Conv2d(c, 4, 3, padding 1) → ReLU → MaxPool2d(2) → Flatten → Linear(4·(h/2)·(w/2), classes).</summary>
    public static Sequential SmallCnn(int channels = 3, int size = 8, int classes = 5, long seed = 0)
    {
        var g = new Generator(seed);
        return new Sequential(new Conv2d(channels, 4, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2), new Flatten(),
            new Linear(4 * (size / 2) * (size / 2), classes, generator: g));
    }

    /// <summary>Uniform inputs in [0, 1) and uniform labels.</summary>
    public static (Tensor X, Tensor Y) Batch(int n, long seed, int channels = 3, int size = 8, int classes = 5)
    {
        var g = new Generator(seed);
        return (Tensor.Rand([n, channels, size, size], g), Tensor.Randint(0, classes, [n], g));
    }

    public static Dictionary<string, Tensor> Fixture(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", name + ".safetensors");
        Assert.True(File.Exists(path), $"Missing fixture {path}; regenerate with /usr/bin/python3 tests/fixtures/make_attack_fixtures.py");
        return SafeTensors.Load(path);
    }

    /// <summary>Largest |a − b| over all elements.</summary>
    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape.ToArray(), b.Shape.ToArray());
        var x = a.ToArray(); var y = b.ToArray();
        float m = 0;
        for (int i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]));
        return m;
    }

    /// <summary>Asserts <paramref name="adv"/> is inside the threat model's ε-ball around <paramref name="x"/> and its clip range.</summary>
    public static void InsideThreat(Tensor x, Tensor adv, ThreatModel threat, string what, bool checkBall = true, float tol = 1e-6f)
    {
        Assert.Equal(x.Shape.ToArray(), adv.Shape.ToArray());
        var a = adv.ToArray();
        foreach (float v in a) Assert.True(v >= threat.ClipMin && v <= threat.ClipMax, $"{what}: value {v} outside [{threat.ClipMin}, {threat.ClipMax}]");
        if (!checkBall) return;
        var c = x.ToArray();
        int n = x.Size(0), d = c.Length / n;
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int k = i * d; k < (i + 1) * d; k++)
            {
                double diff = a[k] - c[k];
                norm = threat.Norm == AttackNorm.LInf ? Math.Max(norm, Math.Abs(diff)) : norm + diff * diff;
            }
            if (threat.Norm == AttackNorm.L2) norm = Math.Sqrt(norm);
            Assert.True(norm <= threat.Epsilon + tol, $"{what}: input {i} has {threat.Norm} norm {norm:G9} > ε = {threat.Epsilon:G9}");
        }
    }

    /// <summary>Fraction of inputs the model classifies as their label.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var _ = Torch.NoGrad();
        var pred = model.Forward(x).Argmax(1).ToInt64Array();
        var t = y.ToInt64Array();
        return pred.Zip(t).Count(p => p.First == p.Second) / (double)t.Length;
    }

    /// <summary>Labels equal to the model's own predictions (clean accuracy 100 %).</summary>
    public static Tensor Predictions(Module<Tensor, Tensor> model, Tensor x)
    {
        using var _ = Torch.NoGrad();
        model.Eval();
        return model.Forward(x).Argmax(1);
    }
}

/// <summary>An oracle that records every query batch it is asked for.</summary>
internal sealed class RecordingOracle(Func<Tensor, Tensor> scores) : IScoreOracle
{
    public List<Tensor> Calls { get; } = [];

    public long Queries { get; private set; }

    public Tensor Scores(Tensor inputs)
    {
        Calls.Add(inputs.Clone());
        Queries += inputs.Size(0);
        return scores(inputs);
    }
}
