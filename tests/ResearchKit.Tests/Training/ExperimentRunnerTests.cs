using System.Diagnostics;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Training;

public class ExperimentRunnerTests
{
    private const string Json = "{\"lr\":0.1,\"model\":\"mlp\"}";
    private const string Hash = "abc123";

    private static Checkpoint Ckpt(long step) =>
        new(step, new Dictionary<string, Tensor> { ["x"] = Tensor.Scalar(step) }, new Dictionary<string, string> { ["m"] = "v" });

    [Fact]
    public void CompletedRun_IsReturnedFromTheStore_WithoutCallingTheBody()
    {
        using var store = new InMemoryRunStore();
        int calls = 0;
        var first = ExperimentRunner.Run(store, Json, Hash, ctx =>
        {
            calls++;
            Assert.False(ctx.Resumed);
            for (int s = 1; s <= 3; s++) ctx.LogMetric(s, "train/loss", 1.0 / s);
            return new Dictionary<string, double> { ["accuracy"] = 0.99 };
        });
        Assert.False(first.FromCache);
        Assert.Equal(1, calls);
        Assert.Equal(RunStatus.Completed, store.Get(first.RunId)!.Status);

        var sw = Stopwatch.StartNew();
        var second = ExperimentRunner.Run(store, Json, Hash, _ => throw new InvalidOperationException("must not train again"));
        sw.Stop();
        Assert.True(second.FromCache);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal(0.99, second.FinalMetrics["accuracy"]);
        Assert.Equal(first.Metrics, second.Metrics);
        Assert.Equal(new[] { 1.0, 0.5, 1.0 / 3 }, second.Series("train/loss").Select(p => p.Value).ToArray());
        Assert.True(sw.ElapsedMilliseconds < 100, $"cached lookup took {sw.ElapsedMilliseconds} ms");

        var other = ExperimentRunner.Run(store, Json, "other-hash", _ => new Dictionary<string, double>());
        Assert.False(other.FromCache);
        Assert.NotEqual(first.RunId, other.RunId);
    }

    [Fact]
    public void Metrics_AreBuffered_UntilCheckpointOrEnd()
    {
        using var store = new InMemoryRunStore();
        ExperimentRunner.Run(store, Json, Hash, ctx =>
        {
            ctx.LogMetric(1, "a", 1);
            ctx.LogMetric(2, "a", 2);
            Assert.Equal(0, store.LogCalls);
            Assert.Equal(2, ctx.PendingMetrics);
            ctx.SaveCheckpoint(Ckpt(2));
            Assert.Equal(1, store.LogCalls); // flushed before the checkpoint
            Assert.Equal(2, store.Metrics(ctx.RunId).Count);
            Assert.Equal(2, ctx.LatestCheckpoint()!.Step);
            ctx.LogMetric(3, "a", 3);
            return new Dictionary<string, double> { ["a"] = 3 };
        });
        Assert.Equal(2, store.LogCalls);
        Assert.Equal(3, store.Metrics(1).Count);
        Assert.Throws<ArgumentException>(() => ExperimentRunner.Run(store, "", Hash, _ => new Dictionary<string, double>()));
    }

    [Fact]
    public void FailingBody_MarksRunFailed_Rethrows_AndTheNextCallResumesFromTheCheckpoint()
    {
        using var store = new InMemoryRunStore();
        var boom = new InvalidOperationException("diverged");
        var thrown = Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(store, Json, Hash, ctx =>
        {
            ctx.LogMetric(10, "loss", 1);
            ctx.SaveCheckpoint(Ckpt(10));
            ctx.LogMetric(15, "loss", 0.5); // after the checkpoint: discarded on resume
            throw boom;
        }));
        Assert.Same(boom, thrown);
        var failed = store.Find(Hash)!;
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Contains("diverged", failed.Error);
        Assert.Equal(2, store.Metrics(failed.Id).Count); // buffered points were written for inspection

        var resumed = ExperimentRunner.Run(store, Json, Hash, ctx =>
        {
            Assert.True(ctx.Resumed);
            Assert.Equal(failed.Id, ctx.RunId);
            Assert.Equal(10, ctx.LatestCheckpoint()!.Step);
            Assert.Equal(new[] { 10L }, store.Metrics(ctx.RunId).Select(p => p.Step).ToArray());
            ctx.LogMetric(15, "loss", 0.25);
            return new Dictionary<string, double> { ["loss"] = 0.25 };
        });
        Assert.True(resumed.Resumed);
        Assert.False(resumed.FromCache);
        Assert.Equal(new[] { 1.0, 0.25 }, resumed.Metrics.Select(p => p.Value).ToArray());
        Assert.Equal(RunStatus.Completed, store.Get(resumed.RunId)!.Status);
    }

    [Fact]
    public void InterruptedRunWithoutCheckpoint_StartsOverWithCleanMetrics()
    {
        using var store = new InMemoryRunStore();
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(store, Json, Hash, ctx =>
        {
            ctx.LogMetric(0, "eval/accuracy", 0.1);
            throw new InvalidOperationException("killed");
        }));
        var r = ExperimentRunner.Run(store, Json, Hash, ctx =>
        {
            Assert.False(ctx.Resumed);
            Assert.Null(ctx.LatestCheckpoint());
            Assert.Empty(store.Metrics(ctx.RunId));
            ctx.LogMetric(0, "eval/accuracy", 0.1);
            return new Dictionary<string, double>();
        });
        Assert.Single(r.Metrics);
    }
}
