using System.Runtime.CompilerServices;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>The modules' workspace reuse: no growth in a training loop, independence of concurrent graphs, safety.</summary>
public class RecurrentWorkspacePoolTests
{
    private static float[] TrainSteps(Lstm m, int steps, bool releaseEachStep)
    {
        var gen = new Generator(50);
        for (int s = 0; s < steps; s++)
        {
            if (releaseEachStep) m.ReleaseWorkspaces();
            var x = Tensor.Randn([4, 3, 2], gen);
            var (y, hn, cn) = m.Forward(x);
            var loss = (y * y).Mean() + hn.Sum() * 0.1f + cn.Square().Sum() * 0.01f;
            m.ZeroGrad();
            loss.Backward();
            using (Torch.NoGrad())
                foreach (var p in m.Parameters()) p.Sub_(p.Grad!, 0.1f);
        }
        var all = new List<float>();
        foreach (var p in m.Parameters()) all.AddRange(p.ToArray());
        return all.ToArray();
    }

    [Fact]
    public void TrainingLoop_ReusesOneWorkspacePerLayerDirection_AndMatchesFreshWorkspaces()
    {
        var pooled = new Lstm(2, 5, numLayers: 2, bidirectional: true, generator: new Generator(1));
        var fresh = new Lstm(2, 5, numLayers: 2, bidirectional: true, generator: new Generator(1));
        var a = TrainSteps(pooled, 5, releaseEachStep: false);
        var b = TrainSteps(fresh, 5, releaseEachStep: true);
        Assert.Equal(4, pooled.WorkspacePool.Created); // 2 layers × 2 directions, allocated once
        Assert.Equal(4, pooled.WorkspacePool.FreeCount);
        Assert.Equal(0, pooled.WorkspacePool.LentCount);
        Assert.Equal(20, fresh.WorkspacePool.Created);  // the control really used new workspaces each step
        Assert.Equal(b, a);                              // bit-identical results
    }

    [Fact]
    public void TwoForwardsBeforeBackward_KeepSeparateWorkspaces()
    {
        var m = new Gru(3, 4, generator: new Generator(2));
        var x1 = Tensor.Randn([5, 2, 3], new Generator(3)).RequiresGrad_();
        var x2 = Tensor.Randn([5, 2, 3], new Generator(4)).RequiresGrad_();
        var y1 = m.Forward(x1).Output;
        var y2 = m.Forward(x2).Output;
        Assert.Equal(2, m.WorkspacePool.Created);
        Assert.Equal(2, m.WorkspacePool.LentCount);
        var g1 = Autograd.Grad(y1.Square().Sum(), x1);
        var g2 = Autograd.Grad(y2.Square().Sum(), x2);
        Assert.Equal(0, m.WorkspacePool.LentCount);

        // Reference: each forward immediately followed by its own backward.
        var r1 = Autograd.Grad(m.Forward(x1).Output.Square().Sum(), x1);
        var r2 = Autograd.Grad(m.Forward(x2).Output.Square().Sum(), x2);
        Assert.Equal(r1.ToArray(), g1.ToArray());
        Assert.Equal(r2.ToArray(), g2.ToArray());
        Assert.NotEqual(g1.ToArray(), g2.ToArray());
        Assert.Equal(2, m.WorkspacePool.Created);
    }

    [Fact]
    public void SecondBackwardThroughTheSameGraph_RecomputesAndAgrees()
    {
        var m = new Lstm(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(5));
        var x = Tensor.Randn([4, 2, 3], new Generator(6)).RequiresGrad_();
        var (y, hn, cn) = m.Forward(x);
        var loss = y.Square().Sum() + hn.Sum() + cn.Sum();
        var first = Autograd.Grad(loss, x, retainGraph: true).ToArray();
        // Another forward of the same geometry takes the returned workspaces and overwrites them.
        using (Torch.NoGrad()) m.Forward(Tensor.Randn([4, 2, 3], new Generator(7)));
        var second = Autograd.Grad(loss, x).ToArray();
        Assert.Equal(first, second);
    }

    [Fact]
    public void NoGradForward_ReturnsItsWorkspaceImmediately()
    {
        var m = new Rnn(3, 4, numLayers: 2, generator: new Generator(8));
        using (Torch.NoGrad())
            for (int i = 0; i < 3; i++) m.Forward(Tensor.Randn([6, 2, 3], new Generator(i)));
        Assert.Equal(2, m.WorkspacePool.Created);
        Assert.Equal(2, m.WorkspacePool.FreeCount);
        // Nothing requires grad (frozen parameters, plain input) → no node, same behaviour in grad mode.
        foreach (var p in m.Parameters()) p.RequiresGrad = false;
        var y = m.Forward(Tensor.Randn([6, 2, 3], new Generator(9))).Output;
        Assert.Null(y.GradFn);
        Assert.Equal(2, m.WorkspacePool.Created);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ForwardAndDropTheGraph(Gru m) => m.Forward(Tensor.Randn([5, 2, 3], new Generator(10)).RequiresGrad_());

    [Fact]
    public void WorkspaceOfAGraphDroppedWithoutBackward_IsReclaimed()
    {
        var m = new Gru(3, 4, generator: new Generator(11));
        ForwardAndDropTheGraph(m);
        Assert.Equal(1, m.WorkspacePool.LentCount);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var x = Tensor.Randn([5, 2, 3], new Generator(12)).RequiresGrad_();
        m.Forward(x).HN.Sum().Backward();
        Assert.Equal(1, m.WorkspacePool.Created);
        Assert.Equal(0, m.WorkspacePool.LentCount);

        // Without a later miss: a dropped graph's workspace is freed when another node returns its own.
        var kept = m.Forward(x).HN.Sum();      // lends the idle workspace
        ForwardAndDropTheGraph(m);              // miss: allocates a second one for a graph that dies
        Assert.Equal(2, m.WorkspacePool.Created);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(2, m.WorkspacePool.LentCount);
        kept.Backward();
        Assert.Equal(0, m.WorkspacePool.LentCount);
        Assert.Equal(2, m.WorkspacePool.FreeCount);
        Assert.Equal(2, m.WorkspacePool.Created);
    }

    [Fact]
    public void NewGeometries_GetTheirOwnWorkspaces_AndIdleOnesAreCapped()
    {
        var m = new Rnn(2, 3, generator: new Generator(13)); // cap: 2 idle workspaces (2·layers·directions)
        using (Torch.NoGrad())
        {
            for (int t = 1; t <= 4; t++) m.Forward(Tensor.Randn([t, 2, 2], new Generator(t)));
            Assert.Equal(4, m.WorkspacePool.Created);
            Assert.Equal(2, m.WorkspacePool.FreeCount);
            m.Forward(Tensor.Randn([4, 2, 2], new Generator(20))); // most recent geometry: reused
            Assert.Equal(4, m.WorkspacePool.Created);
            m.Forward(Tensor.Randn([1, 2, 2], new Generator(21))); // evicted geometry: allocated again
            Assert.Equal(5, m.WorkspacePool.Created);
        }
        m.ReleaseWorkspaces();
        Assert.Equal(0, m.WorkspacePool.FreeCount);
    }
}
