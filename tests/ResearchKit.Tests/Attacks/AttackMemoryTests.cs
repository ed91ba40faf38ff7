using ResearchKit.Attacks;
using ResearchKit.Models;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Attacks;

/// <summary>Tests that read the caching allocator's process-wide counters: run alone, since other test threads' collections move its looks.</summary>
[CollectionDefinition("KitAllocatorSerial", DisableParallelization = true)]
public sealed class KitAllocatorSerialCollection;

/// <summary>
/// An attack loop on a ResNet reuses its memory step after step, as the benchmark's PGD workload needs: a steady step
/// allocates nothing new and no storage leaves the pool. A kernel that read a pooled array where the pool counted it
/// escaped once cost every ResNet-20 PGD step 44 MiB of fresh arrays without failing any value test.
/// </summary>
[Collection("KitAllocatorSerial")]
public class AttackMemoryTests
{
    [Fact]
    public void PgdSteps_OnAnEvalResNet_ReuseTheirStorage()
    {
        var gen = new Generator(11);
        var model = new ResNetCifar(8, generator: gen);
        model.Eval();
        // 64 images: each activation of the first stage (64×16×32×32) splits into parallel ranges that the workers run.
        var x = Tensor.Rand([64, 3, 32, 32], gen);
        var y = Tensor.Randint(0, 10, [64], gen);
        var pgd = new Pgd(model, ThreatModel.Thesis, steps: 1, stepSize: 2f / 255, randomStart: true);
        for (int i = 0; i < 6; i++) pgd.Perturb(x, y);
        var before = CachingAllocator.Stats();
        for (int i = 0; i < 10; i++) pgd.Perturb(x, y);
        var after = CachingAllocator.Stats();
        Assert.True(after.Hits - before.Hits > 100, $"expected the steps to be served from the cache: {before} -> {after}");
        // A look that a collection moves can fall one loan early: at most a step's worth.
        Assert.True(after.Misses - before.Misses <= 2, $"expected no new allocation after warm-up: {before} -> {after}");
        Assert.Equal(before.Escaped, after.Escaped);
    }
}
