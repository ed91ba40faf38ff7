using System.Diagnostics;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using Xunit.Abstractions;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>A training loop must not leak: graphs, gradients, optimizer state and kernel scratch are all bounded.</summary>
[Collection("GemmSerial")] // measures process memory: run alone
public class TrainingMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void FiveHundredStepsOfSmallCnn_KeepMemoryFlat()
    {
        var gen = new Generator(3);
        var model = new Sequential(
            new Conv2d(1, 8, 3, padding: 1, generator: gen), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
            new Conv2d(8, 16, 3, padding: 1, generator: gen), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(),
            new Linear(16, 10, generator: gen));
        var opt = new Sgd(model.Parameters(), lr: 0.02, momentum: 0.9);
        var x = Tensor.Randn([32, 1, 16, 16], gen);
        var y = Tensor.Randint(0, 10, [32], gen);

        float firstLoss = 0, lastLoss = 0;
        long managedAfterWarmup = 0, workingSetAfterWarmup = 0;
        for (int step = 0; step < 500; step++)
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            if (step == 0) firstLoss = loss.Item();
            lastLoss = loss.Item();
            if (step == 99) (managedAfterWarmup, workingSetAfterWarmup) = Measure();
        }
        var (managedEnd, workingSetEnd) = Measure();
        output.WriteLine($"managed {managedAfterWarmup / 1024} KiB -> {managedEnd / 1024} KiB; working set {workingSetAfterWarmup >> 20} MiB -> {workingSetEnd >> 20} MiB; loss {firstLoss:F3} -> {lastLoss:F3}");

        Assert.True(lastLoss < firstLoss * 0.5f, $"the loop should learn the fixed batch: loss {firstLoss} -> {lastLoss}");
        Assert.True(managedEnd - managedAfterWarmup < 512 * 1024, $"managed heap grew by {(managedEnd - managedAfterWarmup) / 1024} KiB over 400 steps");
        Assert.True(workingSetEnd - workingSetAfterWarmup < 32L << 20, $"working set grew by {(workingSetEnd - workingSetAfterWarmup) >> 20} MiB over 400 steps");
    }

    private static (long Managed, long WorkingSet) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return (GC.GetTotalMemory(forceFullCollection: true), p.WorkingSet64);
    }
}
