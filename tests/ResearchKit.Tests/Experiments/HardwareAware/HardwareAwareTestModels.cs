using ResearchKit.Robustness;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Tests.Experiments.HardwareAware;

/// <summary>A tiny untrained CNN on 1×6×6 images with 3 classes, and seeded data for it.</summary>
internal static class HardwareAwareTestModels
{
    public static Sequential Cnn(long seed = 0)
    {
        var g = new Generator(seed);
        return new Sequential(new Conv2d(1, 2, 3, generator: g), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3, generator: g));
    }

    public static RobustnessData Data(int n = 8, long seed = 1)
    {
        var g = new Generator(seed);
        var x = new float[n * 36];
        for (int i = 0; i < x.Length; i++) x[i] = g.NextFloat();
        var y = new long[n];
        for (int i = 0; i < n; i++) y[i] = g.NextInt64(0, 3);
        return new RobustnessData("toy-6x6", "test", seed, Tensor.FromArray(x, n, 1, 6, 6), Tensor.FromArray(y, n));
    }
}
