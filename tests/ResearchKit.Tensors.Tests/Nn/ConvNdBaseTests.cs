using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>What <see cref="Conv2d"/> and <see cref="ConvTranspose2d"/> share through <see cref="ConvNdBase"/>.</summary>
public class ConvNdBaseTests
{
    private sealed class DoubledConv2d(int inChannels, int outChannels, Pair kernelSize)
        : Conv2d(inChannels, outChannels, kernelSize, generator: new Generator(5))
    {
        protected override Tensor ForwardCore(Tensor input) => base.ForwardCore(input) * 2f;
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Parameters_HaveLayoutOfTheirKind_DrawnWithKaimingBound(bool transposed, bool bias)
    {
        const int inC = 4, outC = 6, groups = 2;
        Pair k = (3, 2);
        ConvNdBase conv = transposed
            ? new ConvTranspose2d(inC, outC, k, groups: groups, bias: bias, generator: new Generator(9))
            : new Conv2d(inC, outC, k, groups: groups, bias: bias, generator: new Generator(9));

        int[] weightShape = transposed ? [inC, outC / groups, 3, 2] : [outC, inC / groups, 3, 2];
        int fanIn = weightShape[1] * 3 * 2;
        float bound = (float)(1.0 / Math.Sqrt(fanIn));
        var reference = new Generator(9);

        Assert.Equal(bias ? ["weight", "bias"] : new[] { "weight" }, conv.NamedParameters().Select(p => p.Name));
        Assert.Equal(weightShape, conv.Weight.Shape.ToArray());
        AssertClose.Equal(Tensor.Uniform(weightShape, -bound, bound, reference).ToArray(), conv.Weight.ToArray(), 0, 0, "weight");
        if (bias) AssertClose.Equal(Tensor.Uniform([outC], -bound, bound, reference).ToArray(), conv.Bias!.ToArray(), 0, 0, "bias");
        else Assert.Null(conv.Bias);
    }

    [Fact]
    public void Properties_NormaliseSizesToTuples()
    {
        var t = new ConvTranspose2d(2, 3, 3, stride: 2, padding: 1, outputPadding: 1, dilation: 2, generator: new Generator(1));
        Assert.Equal((2, 3, 1, "zeros"), (t.InChannels, t.OutChannels, t.Groups, t.PaddingMode));
        Assert.Equal("(3, 3) (2, 2) (1, 1) (1, 1) (2, 2)",
            string.Join(' ', new[] { t.KernelSize, t.Stride, t.Padding, t.OutputPadding, t.Dilation }.Select(p => p.ToTupleString())));
        Assert.False(t.KernelSize.IsScalar);
        Assert.Equal("Conv2d(2, 3, kernel_size=(1, 1), stride=(1, 1))", new Conv2d(2, 3, 1, generator: new Generator(1)).ToString());
    }

    [Fact]
    public void RejectedArguments_DoNotConsumeRandomNumbers()
    {
        var gen = new Generator(11);
        var state = gen.GetState();
        var e = Assert.Throws<ArgumentException>(() => new ConvTranspose2d(2, 3, 3, stride: 2, outputPadding: 2, generator: gen));
        Assert.Contains("ConvTranspose2d: output_padding (2, 2) must be smaller than either stride (2, 2) or dilation (1, 1)", e.Message);
        Assert.Throws<ArgumentException>(() => new ConvTranspose2d(2, 3, 3, outputPadding: -1, generator: gen));
        Assert.Throws<NotSupportedException>(() => new Conv2d(2, 3, 3, paddingMode: "reflect", generator: gen));
        var groups = Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2, generator: gen));
        Assert.StartsWith("Conv2d: in_channels (3) must be divisible by groups (2)", groups.Message);
        Assert.Equal(state, gen.GetState());
    }

    [Fact]
    public void Conv2d_StaysSubclassable_WithInheritedParametersAndRepr()
    {
        var conv = new DoubledConv2d(2, 3, 3);
        var x = Tensor.Randn([1, 2, 5, 5], new Generator(2));
        var plain = Functional.Conv2d(x, conv.Weight, conv.Bias, 1, 0, 1, 1);
        AssertClose.Equal((plain * 2f).ToArray(), conv.Forward(x).ToArray(), 0, 0, "subclass forward");
        Assert.Equal("DoubledConv2d(2, 3, kernel_size=(3, 3), stride=(1, 1))", conv.ToString());
    }
}
