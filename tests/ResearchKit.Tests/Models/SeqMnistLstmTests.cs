using ResearchKit.Data;
using ResearchKit.Models;
using ResearchKit.Tensors;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Models;

public class SeqMnistLstmTests
{
    private static void Close(Tensor expected, Tensor actual, string what, double tol = 1e-5)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        var e = expected.ToArray(); var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= tol * (1 + Math.Abs(e[i])), $"{what}[{i}]: got {a[i]:G8}, expected {e[i]:G8}");
    }

    [Fact]
    public void Parameters_HavePyTorchNamesShapesAndThe68kCount()
    {
        var m = new SeqMnistLstm(generator: new Generator(0));
        var p = m.NamedParameters().Select(x => (x.Name, string.Join("x", x.Parameter.Shape.ToArray()))).ToList();
        Assert.Equal(
        [
            ("lstm.weight_ih_l0", "512x1"), ("lstm.weight_hh_l0", "512x128"), ("lstm.bias_ih_l0", "512"), ("lstm.bias_hh_l0", "512"),
            ("fc.weight", "10x128"), ("fc.bias", "10"),
        ], p);
        // 4·128·(1 + 128) + 2·4·128 + 128·10 + 10: the thesis' "68k".
        Assert.Equal(4 * 128 * (1 + 128) + 2 * 4 * 128 + 128 * 10 + 10, m.ParameterCount());
        Assert.Equal(68_362, m.ParameterCount());
        Assert.Equal(m.StateDict().Keys, p.Select(x => x.Name));
    }

    [Fact]
    public void Forward_ClassifiesFromTheLastTimeStep()
    {
        var m = new SeqMnistLstm(generator: new Generator(1));
        var x = Tensor.Randn([3, 20, 1], new Generator(2));
        var logits = m.Forward(x);
        Assert.Equal([3, 10], logits.Shape.ToArray());
        // Reference: the FC layer applied to the LSTM output at t = T − 1.
        var (output, _, _) = m.Lstm.Forward(x);
        var last = output.Select(1, 19);
        Close(F.Linear(last, ((ResearchKit.Tensors.Nn.Linear)m.Fc).Weight, ((ResearchKit.Tensors.Nn.Linear)m.Fc).Bias), logits, "logits");
        // Changing an early pixel changes the prediction (the state carries it); the model reads the whole sequence.
        var x2 = x.Clone();
        using (Torch.NoGrad()) x2.Select(1, 0).Fill_(5f);
        Assert.NotEqual(logits.ToArray(), m.Forward(x2).ToArray());
    }

    [Theory]
    [InlineData(784)] [InlineData(392)] [InlineData(196)] [InlineData(130)] [InlineData(98)]
    public void Forward_AcceptsFullAndSubsampledLengths(int length)
    {
        var m = new SeqMnistLstm(generator: new Generator(3));
        var logits = m.Forward(Tensor.Randn([2, length, 1], new Generator(4)));
        Assert.Equal([2, 10], logits.Shape.ToArray());
        Assert.All(logits.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Forward_OnScheduledSequencesFromImages_Backpropagates()
    {
        var images = Tensor.Rand([4, 1, 28, 28], new Generator(5));
        var schedule = SubsamplingSchedule.Default();
        var m = new SeqMnistLstm(generator: new Generator(6));
        var seqs = schedule.Apply(SequentialMnist.ToSequences(images), 3000); // rate 6: 130 steps
        Assert.Equal([4, 130, 1], seqs.Shape.ToArray());
        var loss = F.CrossEntropy(m.Forward(seqs), Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 4));
        loss.Backward();
        foreach (var (name, p) in m.NamedParameters())
            Assert.True(p.Grad is not null && p.Grad.ToArray().Any(v => v != 0), $"{name} got no gradient");
    }

    [Fact]
    public void Init_IsSeededByTheGenerator()
    {
        var a = new SeqMnistLstm(generator: new Generator(7)).StateDict();
        var b = new SeqMnistLstm(generator: new Generator(7)).StateDict();
        var c = new SeqMnistLstm(generator: new Generator(8)).StateDict();
        foreach (var k in a.Keys) Assert.Equal(a[k].ToArray(), b[k].ToArray());
        Assert.NotEqual(a["lstm.weight_hh_l0"].ToArray(), c["lstm.weight_hh_l0"].ToArray());
        float bound = 1f / MathF.Sqrt(128);
        Assert.All(a["lstm.weight_hh_l0"].ToArray(), v => Assert.InRange(v, -bound, bound));
    }

    [Fact]
    public void BadInputAndSizes_ThrowWithTheFix()
    {
        var m = new SeqMnistLstm(generator: new Generator(9));
        var ex = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(2, 1, 28, 28)));
        Assert.Contains("SequentialMnist.ToSequences", ex.Message);
        Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(2, 784, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeqMnistLstm(hiddenSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeqMnistLstm(numClasses: 0));
    }

    [Fact]
    public void RowSequences_AreTheImageRows_AndFeedAModelBuiltForThem()
    {
        var images = Tensor.Arange(2 * 784).Reshape(2, 1, 28, 28).Contiguous();
        var rows = SequentialMnist.ToSequences(images, 28);
        Assert.Equal(new[] { 2, 28, 28 }, rows.Shape.ToArray());
        for (int r = 0; r < 28; r += 9)
            Assert.Equal(images.Select(0, 1).Select(0, 0).Select(0, r).ToArray(), rows.Select(0, 1).Select(0, r).ToArray());

        var m = new SeqMnistLstm(generator: new Generator(3), pixelsPerStep: 28);
        Assert.Equal(28, m.PixelsPerStep);
        Assert.Equal(new[] { 512, 28 }, m.StateDict()["lstm.weight_ih_l0"].Shape.ToArray());
        Assert.Equal(new[] { 2, 10 }, m.Forward(rows).Shape.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => m.Forward(SequentialMnist.ToSequences(images)));
        Assert.Contains("(N, T, 28)", ex.Message);
        Assert.Contains("ToSequences(images, 28)", ex.Message);
        Assert.Contains("divide the 784 pixels", Assert.Throws<ArgumentException>(() => SequentialMnist.ToSequences(images, 27)).Message);
    }
}
