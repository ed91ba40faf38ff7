using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Optim;
using Xunit;

namespace ResearchKit.Tensors.Tests.Optim;

/// <summary>
/// Updates of parameters large enough to be split across threads (an LM's embedding): the same bits at 1, 2, 3 and 5
/// threads for every optimizer and option that touches the kernels. The ranges start and end at other places for each
/// thread count, so the SIMD loops' scalar tails fall on other elements: their arithmetic must be the vector loops'.
/// </summary>
public class OptimizerSplitTests
{
    // Above ElementwiseSplit.MinSplit, with a length that is not a multiple of any SIMD width or range.
    private const int N = ElementwiseSplit.MinSplit + 12_345;

    public static TheoryData<string> Configs => new()
    {
        "sgd", "sgd-momentum-wd", "sgd-nesterov", "adam", "adam-amsgrad-wd", "adamw", "rmsprop", "rmsprop-centered-momentum",
    };

    private static Optimizer Build(string config, Tensor p) => config switch
    {
        "sgd" => new Sgd([p], lr: 0.1),
        "sgd-momentum-wd" => new Sgd([p], lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 1e-4),
        "sgd-nesterov" => new Sgd([p], lr: 0.1, momentum: 0.9, nesterov: true),
        "adam" => new Adam([p], lr: 1e-3),
        "adam-amsgrad-wd" => new Adam([p], lr: 1e-3, weightDecay: 1e-2, amsgrad: true),
        "adamw" => new AdamW([p], lr: 1e-3),
        "rmsprop" => new RmsProp([p], lr: 1e-2),
        "rmsprop-centered-momentum" => new RmsProp([p], lr: 1e-2, momentum: 0.9, centered: true, weightDecay: 1e-3),
        _ => throw new ArgumentOutOfRangeException(nameof(config)),
    };

    // Three steps with fixed gradients; returns the parameter.
    private static float[] Train(string config, int threads, int n)
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            var gen = new Generator(11);
            var p = Tensor.Randn([n], gen).RequiresGrad_();
            var opt = Build(config, p);
            for (int step = 0; step < 3; step++)
            {
                p.Grad = Tensor.Randn([n], gen);
                opt.Step();
            }
            return p.ToArray();
        }
        finally { Parallelism.Threads = saved; }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void ALargeParameterGetsTheSameBitsAtEveryThreadCount(string config)
    {
        var one = Train(config, 1, N);
        foreach (int t in new[] { 2, 3, 5 }) Assert.Equal(one, Train(config, t, N));
    }
}
