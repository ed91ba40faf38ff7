using ResearchKit.Models;
using ResearchKit.Tensors;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Models;

public class MediumLstmLmTests
{
    private static void Close(Tensor expected, Tensor actual, string what, double tol = 1e-5)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        var e = expected.ToArray(); var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= tol * (1 + Math.Abs(e[i])), $"{what}[{i}]: got {a[i]:G8}, expected {e[i]:G8}");
    }

    private static MediumLstmLm Tiny(double dropout = 0, int seed = 0) =>
        new(vocabSize: 30, embedDim: 8, hidden: 8, layers: 2, dropout: dropout, generator: new Generator(seed), dropoutGenerator: new Generator(seed + 100));

    private static Tensor Tokens(int t, int b, int vocab, int seed) => Tensor.Randint(0, vocab, [t, b], new Generator(seed));

    [Fact]
    public void MediumModel_HasWordLanguageModelNames_AndTiedParameterCount()
    {
        const int V = 33_278; // WikiText-2
        var m = new MediumLstmLm(V, generator: new Generator(0));
        Assert.Equal(
        [
            "encoder.weight",
            "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
            "decoder.weight", "decoder.bias",
        ], m.StateDict().Keys);
        // named_parameters() lists the shared tensor once (under its first name), as PyTorch does.
        Assert.DoesNotContain("decoder.weight", m.NamedParameters().Select(p => p.Name));
        long lstm = 2L * (4 * 650 * (650 + 650) + 2 * 4 * 650);
        Assert.Equal((long)V * 650 + lstm + V, m.ParameterCount()); // 28,434,378: the embedding is counted once
        Assert.Equal(28_434_378, m.ParameterCount());
        Assert.Equal(650, m.Rnn.InputSize);
        Assert.Equal(0.4, m.Rnn.Dropout);
        Assert.Equal(0.4f, m.Drop.P);
    }

    [Fact]
    public void DecoderWeight_IsTheEncoderTensor_InStateDictAndParameters()
    {
        var m = Tiny();
        Assert.Same(m.Encoder.Weight, m.Decoder.Weight);
        var sd = m.StateDict();
        Assert.Same(sd["encoder.weight"], sd["decoder.weight"]);
        Assert.Equal(1, m.Parameters().Count(p => ReferenceEquals(p, m.Encoder.Weight)));
        Assert.Equal(sd.Count - 1, m.Parameters().Count());

        // Loading a state dict with both keys keeps the tie (values copied in place into the one tensor).
        var other = Tiny(seed: 5);
        var src = other.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone());
        m.LoadStateDict(src);
        Assert.Same(m.Encoder.Weight, m.Decoder.Weight);
        Assert.Equal(src["encoder.weight"].ToArray(), m.Decoder.Weight.ToArray());
    }

    [Fact]
    public void TiedWeight_GetsTheSumOfTheEmbeddingAndDecoderGradients()
    {
        var m = Tiny();
        var x = Tokens(5, 3, 30, 1);
        var y = Tokens(5, 3, 30, 2);
        var (logits, _) = m.Forward(x, null);
        F.CrossEntropy(logits.Reshape(-1, 30), y.Reshape(-1)).Backward();

        // Reference: the same computation with two independent copies of the matrix.
        var wEmb = m.Encoder.Weight.Detach().Clone(); wEmb.RequiresGrad = true;
        var wDec = m.Encoder.Weight.Detach().Clone(); wDec.RequiresGrad = true;
        var (output, _, _) = m.Rnn.Forward(F.Embedding(x, wEmb));
        var refLogits = F.Linear(output, wDec, m.Decoder.Bias);
        Close(refLogits, logits, "logits");
        F.CrossEntropy(refLogits.Reshape(-1, 30), y.Reshape(-1)).Backward();
        Assert.Contains(wEmb.Grad!.ToArray(), v => v != 0);
        Assert.Contains(wDec.Grad!.ToArray(), v => v != 0);
        Close(wEmb.Grad + wDec.Grad!, m.Encoder.Weight.Grad!, "tied grad", 1e-4);
    }

    [Fact]
    public void Forward_Shapes_AndInitialization()
    {
        var m = Tiny(dropout: 0.4);
        var (logits, (h, c)) = m.Forward(Tokens(7, 4, 30, 3), null);
        Assert.Equal([7, 4, 30], logits.Shape.ToArray());
        Assert.Equal([2, 4, 8], h.Shape.ToArray());
        Assert.Equal([2, 4, 8], c.Shape.ToArray());
        var (h0, c0) = m.InitHidden(4);
        Assert.Equal([2, 4, 8], h0.Shape.ToArray());
        Assert.All(h0.ToArray().Concat(c0.ToArray()), v => Assert.Equal(0f, v));
        Assert.All(m.Encoder.Weight.ToArray(), v => Assert.InRange(v, -0.1f, 0.1f));
        Assert.All(m.Decoder.Bias!.ToArray(), v => Assert.Equal(0f, v));
        float bound = 1f / MathF.Sqrt(8);
        Assert.All(m.Rnn.Parameters().SelectMany(p => p.ToArray()), v => Assert.InRange(v, -bound, bound));
    }

    [Fact]
    public void CarriedHidden_EqualsOneLongWindow_InEvalMode()
    {
        var m = Tiny(dropout: 0.4);
        m.Eval();
        var x = Tokens(10, 2, 30, 4);
        var (whole, _) = m.Forward(x, null);
        var (first, hidden) = m.Forward(x.Narrow(0, 0, 6), m.InitHidden(2));
        var (second, _) = m.Forward(x.Narrow(0, 6, 4), MediumLstmLm.Detach(hidden));
        Close(whole, Tensor.Cat([first, second], 0), "two windows with carried state");
    }

    [Fact]
    public void Detach_CutsTheGraphBetweenWindows()
    {
        var m = Tiny();
        var h0 = Tensor.Zeros(2, 3, 8); h0.RequiresGrad = true;
        var c0 = Tensor.Zeros(2, 3, 8); c0.RequiresGrad = true;
        var (_, hidden) = m.Forward(Tokens(4, 3, 30, 5), (h0, c0));
        Assert.False(hidden.H.IsLeaf);

        var detached = MediumLstmLm.Detach(hidden);
        Assert.True(detached.H.IsLeaf && detached.C.IsLeaf);
        Assert.False(detached.H.RequiresGrad);
        Assert.Equal(hidden.H.ToArray(), detached.H.ToArray());
        var (l2, _) = m.Forward(Tokens(4, 3, 30, 6), detached);
        l2.Sum().Backward();
        Assert.Null(h0.Grad); // window 2's loss did not reach window 1's initial state

        var (l3, _) = m.Forward(Tokens(4, 3, 30, 6), hidden); // without detaching it does
        l3.Sum().Backward();
        Assert.NotNull(h0.Grad);
    }

    [Fact]
    public void Dropout_IsActiveInTrainingOnly_AndSeeded()
    {
        var x = Tokens(6, 2, 30, 7);
        var a = Tiny(dropout: 0.4, seed: 1);
        var b = Tiny(dropout: 0.4, seed: 1);
        var ya = a.Forward(x, null).Logits.ToArray();
        Assert.Equal(ya, b.Forward(x, null).Logits.ToArray()); // same init and dropout generators
        Assert.NotEqual(ya, a.Forward(x, null).Logits.ToArray()); // fresh masks
        a.Eval();
        var e1 = a.Forward(x, null).Logits.ToArray();
        Assert.Equal(e1, a.Forward(x, null).Logits.ToArray());
        var noDrop = Tiny(dropout: 0, seed: 1);
        Assert.Equal(e1, noDrop.Forward(x, null).Logits.ToArray()); // eval = the model without dropout
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new MediumLstmLm(100, embedDim: 8, hidden: 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MediumLstmLm(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MediumLstmLm(10, 4, 4, 1, dropout: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MediumLstmLm(10, 4, 4, 0));
        var m = Tiny();
        var ex = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(5, 2)));
        Assert.Contains("Int64", ex.Message);
        Assert.Throws<ArgumentException>(() => m.Forward(Tokens(3, 2, 30, 1), m.InitHidden(4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.InitHidden(0));
    }
}
