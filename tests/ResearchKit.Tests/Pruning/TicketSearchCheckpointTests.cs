using ResearchKit.Pruning;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using static ResearchKit.Tests.Pruning.PruningTestUtil;

namespace ResearchKit.Tests.Pruning;

/// <summary>Round checkpoints of <see cref="TicketSearch"/>: an interrupted search resumes to exactly the uninterrupted result, and the four configurations share round 0.</summary>
public sealed class TicketSearchCheckpointTests : IDisposable
{
    private static readonly double[] P = [0.3, 0.6, 0.8];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rk-tickets-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private sealed class Crash : Exception;

    /// <summary>One search with its own generators: <c>init</c> for createModel, <c>noise</c> drawn by training (like dropout) and carried across rounds.</summary>
    private sealed class Harness
    {
        public readonly Generator Init;
        public readonly Generator Noise;
        public readonly List<int> Trained = new();
        public int CrashAtRound = -1;
        public readonly TicketSearch Search;

        public Harness(TicketConfiguration configuration, string? dir, int seed = 42, double[]? objectives = null, long saveStep = 3, long[]? captureSteps = null)
        {
            Init = new Generator(seed);
            Noise = new Generator(seed + 1);
            var probe = new TinyLstm(new Generator(0));
            var config = new TicketConfig(configuration, PruningPlan.Recurrent(probe, 0, 0)) { Objectives = objectives ?? P, SaveStep = saveStep, CaptureSteps = captureSteps, KeepRoundMasks = true };
            Search = new TicketSearch(config, () => new TinyLstm(Init), Train)
            {
                CheckpointDirectory = dir,
                Generators = new Dictionary<string, Generator> { ["init"] = Init, ["noise"] = Noise },
            };
        }

        private RoundResult Train(Module model, PruningMasks masks, RoundContext ctx)
        {
            if (ctx.Round == CrashAtRound) throw new Crash();
            Trained.Add(ctx.Round);
            var opt = new Adam(model.Parameters(), lr: 0.01);
            for (int s = 1; s <= 5; s++)
            {
                foreach (var p in model.Parameters()) p.Grad = Tensor.Randn(p.Shape.ToArray(), Noise);
                masks.MaskGradients(model);
                opt.Step();
                ctx.AfterStep(opt, s);
            }
            double l1 = model.Parameters().Sum(p => p.ToArray().Sum(v => (double)Math.Abs(v)));
            return new RoundResult(new Dictionary<string, double> { ["l1"] = l1, ["nan"] = double.NaN }, [(5L, l1)], $"run-{ctx.Round}");
        }
    }

    private static void AssertSameResult(TicketSearchResult expected, TicketSearchResult actual)
    {
        Assert.Equal(expected.Rounds.Count, actual.Rounds.Count);
        for (int r = 0; r < expected.Rounds.Count; r++)
        {
            var (e, a) = (expected.Rounds[r], actual.Rounds[r]);
            Assert.Equal(e.Objective, a.Objective);
            Assert.Equal(e.StartedFrom, a.StartedFrom);
            Assert.Equal(e.Result.Metrics["l1"], a.Result.Metrics["l1"]); // bit-exact: same random numbers, same arithmetic
            Assert.True(double.IsNaN(a.Result.Metrics["nan"]));
            Assert.Equal(e.Result.LossCurve, a.Result.LossCurve);
            Assert.Equal(e.Result.RunId, a.Result.RunId);
            Assert.Equal(e.Sparsity, a.Sparsity);
            if (e.Pruning is not null)
                for (int g = 0; g < e.Pruning.Groups.Count; g++)
                {
                    Assert.Equal(e.Pruning.Groups[g].Threshold, a.Pruning!.Groups[g].Threshold);
                    Assert.Equal(e.Pruning.Groups[g].Tensors, a.Pruning.Groups[g].Tensors);
                }
            foreach (var name in e.Masks!.Names) Assert.Equal(e.Masks[name]!.ToArray(), a.Masks![name]!.ToArray());
        }
        foreach (var name in expected.FinalMasks.Names) Assert.Equal(expected.FinalMasks[name]!.ToArray(), actual.FinalMasks[name]!.ToArray());
    }

    [Theory]
    [InlineData(TicketConfiguration.WinningTicketWithSave, 2)]
    [InlineData(TicketConfiguration.RandomInit, 1)]
    [InlineData(TicketConfiguration.IterativeMagnitudePruning, 3)]
    public void InterruptedSearch_ResumesToTheUninterruptedResult(TicketConfiguration configuration, int crashRound)
    {
        var reference = new Harness(configuration, dir: null).Search.Run();

        var first = new Harness(configuration, _dir) { CrashAtRound = crashRound };
        Assert.Throws<Crash>(() => first.Search.Run());
        Assert.Equal(Enumerable.Range(0, crashRound), first.Trained);

        // A new process: fresh generators with the same seeds; only the rounds from the crash on are trained.
        var resumed = new Harness(configuration, _dir);
        var seen = new List<int>();
        resumed.Search.RoundCompleted = r => seen.Add(r.Round);
        var result = resumed.Search.Run();
        Assert.Equal(Enumerable.Range(crashRound, P.Length + 1 - crashRound), resumed.Trained);
        Assert.Equal(Enumerable.Range(0, P.Length + 1), seen);
        AssertSameResult(reference, result);

        // Once complete, a re-run trains nothing and answers the same.
        var again = new Harness(configuration, _dir);
        AssertSameResult(reference, again.Search.Run());
        Assert.Empty(again.Trained);
    }

    [Fact]
    public void Configurations_ShareTheDenseRound()
    {
        var wt = new Harness(TicketConfiguration.WinningTicket, _dir);
        wt.Search.Run();
        Assert.Equal([0, 1, 2, 3], wt.Trained);
        Assert.True(File.Exists(Path.Combine(_dir, "dense.safetensors")));

        foreach (var c in new[] { TicketConfiguration.WinningTicketWithSave, TicketConfiguration.RandomInit, TicketConfiguration.IterativeMagnitudePruning })
        {
            var shared = new Harness(c, _dir);
            var result = shared.Search.Run();
            Assert.Equal([1, 2, 3], shared.Trained); // round 0 read back, not retrained
            AssertSameResult(new Harness(c, dir: null).Search.Run(), result);
        }
    }

    [Fact]
    public void SearchesWithDifferentSaveSteps_TrainOneDenseRound_AndEachRewindsToItsOwnSnapshot()
    {
        long[] steps = [2, 4];
        var early = new Harness(TicketConfiguration.WinningTicketWithSave, _dir, saveStep: 2, captureSteps: steps);
        var earlyResult = early.Search.Run();
        var late = new Harness(TicketConfiguration.WinningTicketWithSave, _dir, saveStep: 4, captureSteps: steps);
        var lateResult = late.Search.Run();
        var wt = new Harness(TicketConfiguration.WinningTicket, _dir, saveStep: 0, captureSteps: steps);
        var wtResult = wt.Search.Run();

        Assert.Equal([0, 1, 2, 3], early.Trained);
        Assert.Equal([1, 2, 3], late.Trained); // round 0 read back with both snapshots
        Assert.Equal([1, 2, 3], wt.Trained);
        // Each equals its own search run alone, i.e. rewound to θ at its own t_save (θ⁰ for t_save = 0).
        AssertSameResult(new Harness(TicketConfiguration.WinningTicketWithSave, dir: null, saveStep: 2).Search.Run(), earlyResult);
        AssertSameResult(new Harness(TicketConfiguration.WinningTicketWithSave, dir: null, saveStep: 4).Search.Run(), lateResult);
        AssertSameResult(new Harness(TicketConfiguration.WinningTicket, dir: null, saveStep: 0).Search.Run(), wtResult);
        Assert.NotEqual(earlyResult.Rounds[1].Result.Metrics["l1"], lateResult.Rounds[1].Result.Metrics["l1"]);

        // A t_save the dense round did not capture is refused with the fix.
        var other = new Harness(TicketConfiguration.WinningTicketWithSave, _dir, saveStep: 3, captureSteps: steps);
        Assert.Contains("CaptureSteps", Assert.Throws<InvalidOperationException>(() => other.Search.Run()).Message);
    }

    [Fact]
    public void ACaptureStepBeyondRoundZero_IsReported()
    {
        var h = new Harness(TicketConfiguration.WinningTicketWithSave, dir: null, saveStep: 2, captureSteps: [2, 9]);
        Assert.Contains("t_save = 9", Assert.Throws<InvalidOperationException>(() => h.Search.Run()).Message);
        Assert.Throws<ArgumentException>(() => new Harness(TicketConfiguration.WinningTicket, dir: null, saveStep: 0, captureSteps: [-1]));
    }

    [Fact]
    public void ADirectoryOfAnotherSearch_IsRefusedWithTheReason()
    {
        new Harness(TicketConfiguration.WinningTicketWithSave, _dir).Search.Run();

        var otherSeed = new Harness(TicketConfiguration.WinningTicketWithSave, _dir, seed: 7);
        Assert.Contains("another initialization", Assert.Throws<InvalidOperationException>(() => otherSeed.Search.Run()).Message);

        var otherObjectives = new Harness(TicketConfiguration.WinningTicketWithSave, _dir, objectives: [0.3, 0.7, 0.8]);
        var e = Assert.Throws<InvalidOperationException>(() => otherObjectives.Search.Run());
        Assert.Contains("objectives changed", e.Message);

        var otherSave = new Harness(TicketConfiguration.WinningTicketWithSave, _dir, saveStep: 2);
        Assert.Contains("t_save = 2", Assert.Throws<InvalidOperationException>(() => otherSave.Search.Run()).Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ACorruptRoundFile_IsKeptAside_AndTheSearchFallsBackToThePreviousRound(bool truncate)
    {
        var reference = new Harness(TicketConfiguration.WinningTicket, dir: null).Search.Run();
        new Harness(TicketConfiguration.WinningTicket, _dir).Search.Run();
        var path = Path.Combine(_dir, nameof(TicketConfiguration.WinningTicket), "round-02.safetensors");
        if (truncate)
        {
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); // truncated, as by a full disk
        }
        else Runs.CheckpointTests.FlipDataBytes(path, seed: 3); // silent bit rot: only the checksum sees it

        var resumed = new Harness(TicketConfiguration.WinningTicket, _dir);
        var result = resumed.Search.Run();
        Assert.Equal([2, 3], resumed.Trained); // rounds 0 and 1 read back, round 2 on retrained
        AssertSameResult(reference, result);
        Assert.True(File.Exists(path + ".corrupt"));
        Assert.True(File.Exists(path)); // rewritten, intact
    }
}
