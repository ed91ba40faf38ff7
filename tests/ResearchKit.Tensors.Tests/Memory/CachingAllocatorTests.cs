using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Memory;

/// <summary>The caching allocator's tests that read process-wide counters (gen-2 collections) or toggle it: run alone.</summary>
[CollectionDefinition("AllocatorSerial", DisableParallelization = true)]
public sealed class AllocatorSerialCollection;

/// <summary>
/// The caching allocator lends large storage again only when no tensor uses it: tensors, views, aliases and saved
/// tensors kept across steps keep their values; spans and other threads opt storage out; results do not depend on it;
/// and a steady training loop stops allocating and runs no full collection. The suite runs with every storage pooled
/// and NaN-filled when uninitialized (tests/Shared/AllocatorChecks.cs), so reuse happens between the ops of every test.
/// Run alone: the pool's looks follow the process's collections, which other test threads trigger (on a loaded 2-core CI
/// machine the steady loop saw 11 misses in 10 steps while other classes ran).
/// </summary>
[Collection("AllocatorSerial")]
public class CachingAllocatorTests
{
    private sealed record Net(Sequential Model, Sgd Optimizer, Tensor X, Tensor Y);

    // ~1.5 MiB of activations and gradients per step: above the suite's 1 MiB collection threshold, so every step's
    // end is a look at the loans.
    private static Net MakeNet(int seed)
    {
        var gen = new Generator(seed);
        var model = new Sequential(
            new Conv2d(3, 8, 3, padding: 1, generator: gen), new BatchNorm2d(8), new ReLU(),
            new Conv2d(8, 8, 3, padding: 1, generator: gen), new ReLU(),
            new AdaptiveAvgPool2d(1), new Flatten(), new Linear(8, 4, generator: gen));
        var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
        return new Net(model, opt, Tensor.Randn([16, 3, 16, 16], gen), Tensor.Randint(0, 4, [16], gen));
    }

    private static float Step(Net net)
    {
        net.Optimizer.ZeroGrad();
        var loss = F.CrossEntropy(net.Model.Forward(net.X), net.Y);
        loss.Backward();
        net.Optimizer.Step();
        return loss.Item();
    }

    [Fact]
    public void TrainingLoop_ReusesItsStorage_AfterWarmUp()
    {
        var net = MakeNet(1);
        for (int i = 0; i < 8; i++) Step(net);
        var before = CachingAllocator.Stats();
        for (int i = 0; i < 10; i++) Step(net);
        var after = CachingAllocator.Stats();
        Assert.True(after.Hits - before.Hits > 100, $"expected the steps to be served from the cache: {before} -> {after}");
        // A look that another thread's collection moves can fall one loan early: at most a step's worth of allocation.
        Assert.True(after.Misses - before.Misses <= 2, $"expected no new allocation after warm-up: {before} -> {after}");
        Assert.Equal(before.Escaped, after.Escaped);   // kernels on worker threads do not opt storage out
        Assert.True(after.InducedCollections > before.InducedCollections);
    }

    [Fact]
    public void TensorsViewsAndAliasesKeptAcrossSteps_KeepTheirValues()
    {
        var net = MakeNet(2);
        Step(net);
        // Each is kept alone: the activation itself is dropped, so only the view's or alias's own reference can keep
        // the storage from being lent to a later step.
        var (view, snapView) = KeepFromOneStep(net, y => y.Transpose(1, 3).Narrow(2, 3, 5));
        var (alias, snapAlias) = KeepFromOneStep(net, y => y.Detach());
        var (flat, snapFlat) = KeepFromOneStep(net, y => y.Reshape(-1));
        var (whole, snapWhole) = KeepFromOneStep(net, y => y);
        for (int i = 0; i < 12; i++) Step(net);
        Assert.Equal(snapView, view.ToArray());
        Assert.Equal(snapAlias, alias.ToArray());
        Assert.Equal(snapFlat, flat.ToArray());
        Assert.Equal(snapWhole, whole.ToArray());
    }

    // Runs one step keeping keep(output of the second conv) and a copy of its values.
    private static (Tensor Kept, float[] Values) KeepFromOneStep(Net net, Func<Tensor, Tensor> keep)
    {
        Tensor? kept = null;
        using (net.Model.GetSubmodule<Conv2d>("3").RegisterForwardHook((_, _, y) => { kept ??= keep(y); return y; }))
            Step(net);
        return (kept!, kept!.ToArray());
    }

    [Fact]
    public void GraphBuiltBeforeOtherSteps_BackwardsToTheSameGradients()
    {
        var net = MakeNet(3);
        var other = MakeNet(4);
        Step(net);
        // The graph's saved activations must stay intact while other steps lend and take back storage.
        var loss = F.CrossEntropy(net.Model.Forward(net.X), net.Y);
        var x = net.X.Clone().RequiresGrad_();
        var lossX = F.CrossEntropy(net.Model.Forward(x), net.Y);
        var expected = Autograd.Grad(lossX, x, retainGraph: true).ToArray();
        for (int i = 0; i < 12; i++) Step(other);
        var again = Autograd.Grad(lossX, x).ToArray();
        Assert.Equal(expected, again);
        net.Optimizer.ZeroGrad();
        loss.Backward();
        var grads = net.Model.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        net.Optimizer.ZeroGrad();
        F.CrossEntropy(net.Model.Forward(net.X), net.Y).Backward();
        var fresh = net.Model.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        Assert.Equal(fresh.Length, grads.Length);
        for (int i = 0; i < fresh.Length; i++) Assert.Equal(fresh[i], grads[i]);
    }

    [Fact]
    public void StorageExposedAsASpan_IsNeverLentAgain()
    {
        var net = MakeNet(5);
        Step(net);
        long escaped = CachingAllocator.Stats().Escaped;
        var span = SpanOfADroppedTensor(32768);
        span.Fill(7f);
        for (int i = 0; i < 8; i++) { Step(net); GC.Collect(); }
        for (int i = 0; i < span.Length; i++) Assert.Equal(7f, span[i]);
        Assert.True(CachingAllocator.Stats().Escaped > escaped);
    }

    // The tensor is unreachable once this returns; only the span refers to its storage.
    private static Span<float> SpanOfADroppedTensor(int n) => Tensor.Zeros(n).AsSpan();

    [Fact]
    public void StorageUsedFromAnotherThread_Escapes()
    {
        var net = MakeNet(6);
        Step(net);
        long escaped = CachingAllocator.Stats().Escaped;
        UseOnAnotherThread(net);
        for (int i = 0; i < 3; i++) Step(net);
        Assert.True(CachingAllocator.Stats().Escaped > escaped);
    }

    // A helper, so that the output is unreachable once it returns (the tests build unoptimized, which keeps locals alive).
    private static void UseOnAnotherThread(Net net)
    {
        var t = net.Model.Forward(net.X);
        var other = new Thread(() => _ = (t * 2f).Sum().Item());
        other.Start();
        other.Join();
    }

    [Fact]
    public void UnderDebugChecks_WrappingALentArrayWithoutItsStorage_Throws()
    {
        CachingAllocator.Collect();   // makes sure this thread has a pool
        var t = Tensor.Empty([64]);
        var e = Assert.Throws<InvalidOperationException>(() => new Tensor(t.F, [64]));
        Assert.Contains("AliasOf", e.Message);
        Assert.Equal(64, Tensor.AliasOf(t, [8, 8]).Numel);
    }

    // Runs body with Parallelism.Threads = 2 (the class runs alone, so the global setting reaches no other test), then restores it.
    private static void AtTwoThreads(Action body)
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            body();
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void ReadOnAWorker_InsideTheOwnersParallelLoop_KeepsTheStoragePoolable_WhileAUserThreadsReadDoesNot()
    {
        AtTwoThreads(() =>
        {
            CachingAllocator.Collect();   // makes sure this thread has a pool
            var t = Tensor.Full([64], 3f);
            var threads = new int[2];
            var read = new float[2];
            int arrived = 0;
            // Each chunk waits for the other, so the two run at once, on two threads: one of them is the pool's worker.
            Parallelism.For(2, i =>
            {
                threads[i] = Environment.CurrentManagedThreadId;
                read[i] = t.F[i];
                Interlocked.Increment(ref arrived);
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref arrived) == 2, 10_000), "the other chunk never ran alongside");
            });
            Assert.NotEqual(threads[0], threads[1]);
            Assert.Equal(new[] { 3f, 3f }, read);
            Assert.False(t.VersionCounter.Escaped);
            var other = new Thread(() => _ = t.F[0]);   // the user's own thread: the pool cannot tell when it is done
            other.Start();
            other.Join();
            Assert.True(t.VersionCounter.Escaped);
        });
    }

    [Fact]
    public void SafePointInsideAParallelBody_DoesNothing()
    {
        AtTwoThreads(() =>
        {
            var net = MakeNet(9);
            for (int i = 0; i < 3; i++) Step(net);
            var before = new MemoryStats[2];
            var inside = new MemoryStats[2];
            // Only the calling thread has a pool; its chunk lends 2 MiB, so a safe point there would look at its loans.
            Parallelism.For(2, i =>
            {
                if (StoragePoolOwnerIsHere()) for (int k = 0; k < 4; k++) _ = Tensor.Zeros(1 << 17);
                before[i] = CachingAllocator.Stats();
                CachingAllocator.Collect();
                inside[i] = CachingAllocator.Stats();
            });
            Assert.Equal(before, inside);
        });
    }

    private static bool StoragePoolOwnerIsHere() => ResearchKit.Tensors.Memory.StoragePool.Current is not null;

    [Fact]
    public void InputGradientSteps_ThroughEvalBatchNormRelu_ReuseTheirStorage()
    {
        // An attack's step: eval batch norm + ReLU in one op (BatchNormBase.ForwardRelu), the input gradient only. 8×16 planes
        // of 128×128 (ResNet-20's 2M elements at b128) make two parallel ranges long enough that a worker runs one: when the
        // backward read the output's array there, every step's storage escaped the pool (44 MiB of fresh arrays per ResNet-20
        // step).
        AtTwoThreads(() =>
        {
            var gen = new Generator(8);
            var conv = new Conv2d(3, 16, 3, padding: 1, generator: gen);
            var bn = new BatchNorm2d(16);
            var relu = new ReLU();
            var head = new Sequential(new AdaptiveAvgPool2d(1), new Flatten(), new Linear(16, 4, generator: gen));
            bn.Eval();
            var x0 = Tensor.Rand([8, 3, 128, 128], gen);
            var y = Tensor.Randint(0, 4, [8], gen);
            float Attack()
            {
                var x = x0.Detach().RequiresGrad_();
                var g = Autograd.Grad(F.CrossEntropy(head.Forward(bn.ForwardRelu(conv.Forward(x), relu)), y), x);
                return g.Abs().Sum().Item();
            }
            float first = 0f;
            for (int i = 0; i < 6; i++) first = Attack();
            var before = CachingAllocator.Stats();
            for (int i = 0; i < 10; i++) Assert.Equal(first, Attack());
            var after = CachingAllocator.Stats();
            Assert.True(after.Hits - before.Hits > 50, $"expected the steps to be served from the cache: {before} -> {after}");
            Assert.True(after.Misses - before.Misses <= 2, $"expected no new allocation after warm-up: {before} -> {after}");
            Assert.Equal(before.Escaped, after.Escaped);
        });
    }

    [Fact]
    public void UnderDebugChecks_UninitializedStorageIsNaN_AndZerosAreZero()
    {
        CachingAllocator.Collect();
        Assert.All(Tensor.Empty([100]).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(Tensor.Zeros(100).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void CollectInsideAnOp_DoesNothing()
    {
        var net = MakeNet(7);
        for (int i = 0; i < 3; i++) Step(net);
        MemoryStats inside = default, before = default;
        using (net.Model.GetSubmodule<ReLU>("2").RegisterForwardHook((_, _, y) =>
        {
            for (int i = 0; i < 4; i++) _ = Tensor.Zeros(1 << 17);   // 2 MiB lent: a safe point here would collect
            before = CachingAllocator.Stats();
            CachingAllocator.Collect();
            inside = CachingAllocator.Stats();
            return y;
        }))
            using (Torch.NoGrad()) net.Model.Forward(net.X);
        Assert.Equal(before, inside);
    }

    [Fact]
    public void PoolOfAnExitedThread_LetsGoOfItsCache_AndItsTensorsKeepTheirValues()
    {
        global::ResearchKit.Tensors.Memory.StoragePool? pool = null;
        Tensor? kept = null;
        float[]? values = null;
        var worker = new Thread(() =>
        {
            var net = MakeNet(9);
            for (int i = 0; i < 4; i++) Step(net);
            pool = global::ResearchKit.Tensors.Memory.StoragePool.Current;
            kept = net.Model.Forward(net.X).Detach();
            values = kept.ToArray();
        });
        worker.Start();
        worker.Join();
        Assert.True(pool!.Stats().CachedBytes > 0);
        for (int i = 0; i < 5 && !pool.IsRetired; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.True(pool.IsRetired);
        var stats = pool.Stats();
        Assert.Equal((0, 0L, 0L), (stats.OutstandingLoans, stats.LentBytes, stats.CachedBytes));
        Assert.Equal(values, kept!.ToArray());   // read here, on another thread: marks nothing, the pool is retired
    }

    [Fact]
    public void EmptyCache_ReleasesWhatIsCached()
    {
        var net = MakeNet(8);
        for (int i = 0; i < 3; i++) Step(net);
        Assert.True(CachingAllocator.Stats().CachedBytes > 0);
        CachingAllocator.EmptyCache();
        Assert.Equal(0, CachingAllocator.Stats().CachedBytes);
        Step(net);   // still trains
    }
}

/// <summary>Allocator properties measured on process-wide counters, or that switch it off: run alone.</summary>
[Collection("AllocatorSerial")]
public class CachingAllocatorSerialTests
{
    [Fact]
    public void DefaultCaps_AreTiedToTheMachine()
    {
        // What one thread may cache, and lend between two looks, is at most a sixteenth of the memory the process may use.
        long sixteenth = CachingAllocator.AvailableMemoryBytes / 16;
        Assert.True(sixteenth > 0);
        Assert.Equal(Math.Min(16L << 30, sixteenth), CachingAllocator.MaxCachedBytes);
        Assert.Equal(Math.Min(4L << 30, sixteenth), CachingAllocator.MaxUnscannedBytes);
    }

    [Fact]
    public void ChangingShapes_NeverCacheMoreThanTheCap()
    {
        // An ensemble splits every batch by route, so each forward sees new sizes: the cache must stay within its cap.
        long saved = CachingAllocator.MaxCachedBytes;
        CachingAllocator.MaxCachedBytes = 4L << 20;
        CachingAllocator.EmptyCache();   // what earlier tests on this thread cached
        try
        {
            var layer = new ResearchKit.Tensors.Nn.Linear(256, 256, generator: new Generator(1));
            var g = new Generator(2);
            for (int i = 0; i < 60; i++)
            {
                int rows = 64 + (int)g.NextInt64(0, 200);     // 16,384+ elements: pooled, and a new size almost every time
                using (Torch.NoGrad()) layer.Forward(Tensor.Randn([rows, 256], g));
                Assert.True(CachingAllocator.Stats().CachedBytes <= CachingAllocator.MaxCachedBytes,
                    $"step {i}: {CachingAllocator.Stats().CachedBytes} bytes cached, cap {CachingAllocator.MaxCachedBytes}");
            }
            CachingAllocator.Collect();
            Assert.True(CachingAllocator.Stats().CachedBytes <= CachingAllocator.MaxCachedBytes);
        }
        finally { CachingAllocator.MaxCachedBytes = saved; }
    }

    [Fact]
    public void ASizeThatRecursByChance_IsReleasedAfterTwoLooks_WhileASteadySizeStaysCached()
    {
        // SPSA on the Ensemble Hash Defense splits every batch by route: a size can recur in two consecutive windows by chance,
        // be lent and cached, and never be asked for again. Its arrays must not wait StaleScans looks in the cache.
        WithALookAtEveryCollect(() =>
        {
            const int chance = 75_001, steady = 40_003;   // sizes no other code on this thread uses
            for (int i = 0; i < 2; i++) { Allocate(chance); CachingAllocator.Collect(); }   // asked for in two windows: lent
            Assert.True(CachingAllocator.Stats().CachedBytes >= 4L * chance, $"the recurring size should have been cached: {CachingAllocator.Stats()}");
            var before = CachingAllocator.Stats();
            for (int i = 0; i < 5; i++) { Allocate(steady); CachingAllocator.Collect(); }
            var after = CachingAllocator.Stats();
            Assert.True(after.CachedBytes < 4L * chance, $"the chance size's arrays are still cached: {before} -> {after}");
            Assert.True(after.Hits - before.Hits >= 2, $"the steady size should be served from the cache: {before} -> {after}");
        });
    }

    // Adaptive caching on, every Collect() a look, an empty cache to start from; the suite's settings restored after.
    private static void WithALookAtEveryCollect(Action body)
    {
        long savedThreshold = CachingAllocator.CollectThresholdBytes;
        CachingAllocator.AdaptiveCaching = true;
        CachingAllocator.CollectThresholdBytes = 0;
        try
        {
            CachingAllocator.Collect();
            CachingAllocator.EmptyCache();
            body();
        }
        finally
        {
            CachingAllocator.CollectThresholdBytes = savedThreshold;
            CachingAllocator.AdaptiveCaching = false;
        }
    }

    [Fact]
    public void TwoWorkloadsAlternatingStepByStep_AreBothPooled()
    {
        // A float and a quantized model evaluated in turn: each asks for its sizes every other window. Measured before the fix
        // in the int benchmark: the float ResNet-20 allocated 185-222 MB of plain arrays per step and ran 3.7x slower.
        WithALookAtEveryCollect(() =>
        {
            const int a = 61_003, b = 52_007;   // sizes no other code on this thread uses
            for (int i = 0; i < 4; i++) { Allocate(a); CachingAllocator.Collect(); Allocate(b); CachingAllocator.Collect(); }
            var before = CachingAllocator.Stats();
            for (int i = 0; i < 6; i++) { Allocate(a); CachingAllocator.Collect(); Allocate(b); CachingAllocator.Collect(); }
            var after = CachingAllocator.Stats();
            Assert.True(after.Uncached == before.Uncached, $"alternating sizes were handed out as plain arrays: {before} -> {after}");
            Assert.True(after.Hits - before.Hits >= 10, $"alternating sizes should be served from the cache: {before} -> {after}");
        });
    }

    // A tensor that is garbage as soon as the call returns (in Debug builds a local would live to the end of the test).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Allocate(int n) => Tensor.Zeros(n);

    [Fact]
    public void SizesThatNeverRecur_AreNotPooled_AndARecurringSizeIs()
    {
        // An exact-size cache cannot serve sizes that never recur (an ensemble splitting each batch by route): those are plain
        // arrays, as without the allocator; a size that recurs is pooled and served from the cache.
        CachingAllocator.AdaptiveCaching = true;   // the suite caches every size (AllocatorChecks); this test is about the adaptive rule
        try { AdaptiveRule(); }
        finally { CachingAllocator.AdaptiveCaching = false; }
    }

    private static void AdaptiveRule()
    {
        CachingAllocator.EmptyCache();
        var start = CachingAllocator.Stats();
        var layer = new ResearchKit.Tensors.Nn.Linear(256, 256, generator: new Generator(1));
        var g = new Generator(3);
        var sizes = Enumerable.Range(0, 400).Select(i => 64 + 2 * i).OrderBy(_ => g.NextInt64(0, 1 << 30)).ToArray();
        for (int i = 0; i < 200; i++)
            using (Torch.NoGrad()) layer.Forward(Tensor.Randn([sizes[i], 256], g));
        var changing = CachingAllocator.Stats();
        // Nearly every forward's sizes are new: they are plain arrays, not loans, and nothing is cached.
        long plain = changing.Uncached - start.Uncached, lent = changing.Misses + changing.Hits - start.Misses - start.Hits;
        Assert.True(plain > 10 * Math.Max(1, lent), $"sizes never recurred, yet the pool lent them: {start} -> {changing}");
        Assert.True(changing.CachedBytes <= 2L * 256 * 256 * 4, $"{changing}");

        var x = Tensor.Randn([128, 256], g);
        for (int i = 0; i < 40; i++) using (Torch.NoGrad()) layer.Forward(x);
        var before = CachingAllocator.Stats();
        for (int i = 0; i < 40; i++) using (Torch.NoGrad()) layer.Forward(x);
        var after = CachingAllocator.Stats();
        // Served from the cache again: most of the 40 forwards (a window that another thread's collection lengthens
        // allocates once per step until its look).
        Assert.True(after.Hits - before.Hits >= 30, $"{before} -> {after}");
    }

    [Fact]
    public void Results_AreBitwiseTheSame_WithAndWithoutTheAllocator()
    {
        float[][] Train(bool enabled)
        {
            bool saved = CachingAllocator.Enabled;
            CachingAllocator.Enabled = enabled;
            try
            {
                var gen = new Generator(11);
                var model = new Sequential(
                    new Conv2d(3, 8, 3, padding: 1, generator: gen), new BatchNorm2d(8), new ReLU(),
                    new AdaptiveAvgPool2d(1), new Flatten(), new Linear(8, 4, generator: gen));
                var opt = new Adam(model.Parameters(), lr: 1e-2);
                var x = Tensor.Randn([16, 3, 16, 16], gen);
                var y = Tensor.Randint(0, 4, [16], gen);
                for (int i = 0; i < 10; i++)
                {
                    opt.ZeroGrad();
                    F.CrossEntropy(model.Forward(x), y).Backward();
                    opt.Step();
                }
                return model.Parameters().Select(p => p.ToArray()).ToArray();
            }
            finally { CachingAllocator.Enabled = saved; }
        }
        var off = Train(false);
        var on = Train(true);
        Assert.Equal(off.Length, on.Length);
        for (int i = 0; i < off.Length; i++) Assert.Equal(off[i], on[i]);
    }

    [Fact]
    public void SteadyTrainingLoop_RunsNoFullCollection_UnderTheShippedSettings()
    {
        var gen = new Generator(12);
        var model = new Sequential(
            new Conv2d(3, 32, 3, padding: 1, generator: gen), new BatchNorm2d(32), new ReLU(),
            new Conv2d(32, 32, 3, padding: 1, generator: gen), new BatchNorm2d(32), new ReLU(),
            new AdaptiveAvgPool2d(1), new Flatten(), new Linear(32, 10, generator: gen));
        AssertSteadyWithoutFullCollections(model, Tensor.Randn([64, 3, 32, 32], gen), Tensor.Randint(0, 10, [64], gen));
    }

    [Fact]
    public void SteadyLoopOfManySmallTensors_RunsNoFullCollection_UnderTheShippedSettings()
    {
        // Fake quantization's shape: every forward re-derives each layer's weights through a dozen element-wise ops on
        // 9,216-element tensors (32x32x3x3), about 24 MiB of small storage per step next to 2 MiB activations. Left to the
        // young heap (pooling only from 16,384 elements, the former default), it filled generation 0 mid-step, each such
        // collection promoted the live activations' storage, and their arrays came back only at full collections
        // (the W2/A2 ResNet-20 benchmark step: 0.10 full collections per step).
        var gen = new Generator(13);
        var layers = new List<Module<Tensor, Tensor>> { new Conv2d(3, 32, 3, padding: 1, generator: gen), new ReLU() };
        for (int i = 0; i < 8; i++) layers.AddRange([new ManyOpsConv(32, gen), new ReLU()]);
        layers.AddRange([new AdaptiveAvgPool2d(1), new Flatten(), new Linear(32, 10, generator: gen)]);
        AssertSteadyWithoutFullCollections(new Sequential([.. layers]), Tensor.Randn([64, 3, 16, 16], gen), Tensor.Randint(0, 10, [64], gen));
    }

    // A 3x3 convolution whose weight goes through a chain of small element-wise ops at every forward (as a DoReFa quantizer's
    // tanh, max-abs normalization and rounding do).
    private sealed class ManyOpsConv : Module<Tensor, Tensor>
    {
        private readonly Tensor _weight;

        public ManyOpsConv(int channels, Generator gen) =>
            _weight = RegisterParameter("weight", Tensor.Randn([channels, channels, 3, 3], gen) * 0.1f);

        protected override Tensor ForwardCore(Tensor input)
        {
            var w = _weight.Tanh();
            for (int i = 0; i < 6; i++) w = (w * 1.01f + 0.001f).Tanh();
            return F.Conv2d(input, w / (w.Abs().Max() + 1e-6f), padding: 1);
        }
    }

    // Ten warm-up steps, then fifteen steps under the shipped settings: no loan misses (every array comes from the cache)
    // and no full collection.
    private static void AssertSteadyWithoutFullCollections(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        int savedMin = CachingAllocator.MinElements;
        long savedThreshold = CachingAllocator.CollectThresholdBytes;
        // The shipped settings (the suite's own pool every size from 1 element and collect every MiB): storage from 1,024
        // elements pooled, a collection per 32 MiB lent, adaptive caching.
        CachingAllocator.MinElements = 1_024;
        CachingAllocator.CollectThresholdBytes = 32L << 20;
        CachingAllocator.AdaptiveCaching = true;
        CachingAllocator.EmptyCache();   // a new pool's state: caching starts once the steps' sizes are seen to recur
        try
        {
            var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
            void Step()
            {
                opt.ZeroGrad();
                F.CrossEntropy(model.Forward(x), y).Backward();
                opt.Step();
            }
            for (int i = 0; i < 10; i++) Step();
            int gen2 = GC.CollectionCount(2);
            var before = CachingAllocator.Stats();
            for (int i = 0; i < 15; i++) Step();
            var after = CachingAllocator.Stats();
            Assert.Equal(before.Misses, after.Misses);
            Assert.Equal(gen2, GC.CollectionCount(2));
        }
        finally
        {
            CachingAllocator.MinElements = savedMin;
            CachingAllocator.CollectThresholdBytes = savedThreshold;
            CachingAllocator.AdaptiveCaching = false;
        }
    }
}
