using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>What the three cells share through <see cref="RecurrentCellBase{TOutput}"/>: parameters, init and argument checks.</summary>
public class RecurrentCellBaseTests
{
    // The cells' parameters, by name, with the gate count G of each kind.
    private static (Module Cell, int Gates) Make(string kind, int input, int hidden, bool bias, Generator gen) => kind switch
    {
        "lstm" => (new LstmCell(input, hidden, bias, gen), 4),
        "gru" => (new GruCell(input, hidden, bias, gen), 3),
        "tanh" => (new RnnCell(input, hidden, bias, "tanh", gen), 1),
        _ => (new RnnCell(input, hidden, bias, "relu", gen), 1),
    };

    [Theory]
    [InlineData("lstm", true)]
    [InlineData("lstm", false)]
    [InlineData("gru", true)]
    [InlineData("gru", false)]
    [InlineData("tanh", true)]
    [InlineData("relu", false)]
    public void Parameters_HavePyTorchNamesShapesAndOrder_DrawnFromUniformInRegistrationOrder(string kind, bool bias)
    {
        const int input = 3, hidden = 5;
        var (cell, g) = Make(kind, input, hidden, bias, new Generator(7));

        // Reference: PyTorch's RNNCellBase.reset_parameters, U(−1/√H, 1/√H) drawn parameter after parameter.
        var reference = new Generator(7);
        float bound = 1f / MathF.Sqrt(hidden);
        var expected = new List<(string, int[])> { ("weight_ih", [g * hidden, input]), ("weight_hh", [g * hidden, hidden]) };
        if (bias) expected.AddRange([("bias_ih", [g * hidden]), ("bias_hh", [g * hidden])]);

        var actual = cell.NamedParameters().ToList();
        Assert.Equal(expected.Select(e => e.Item1), actual.Select(a => a.Name));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item2, actual[i].Parameter.Shape.ToArray());
            AssertClose.Equal(Tensor.Uniform(expected[i].Item2, -bound, bound, reference).ToArray(), actual[i].Parameter.ToArray(),
                0, 0, expected[i].Item1);
        }
    }

    [Fact]
    public void Properties_AreTheRegisteredParameters()
    {
        var cell = new GruCell(2, 4, generator: new Generator(1));
        var p = cell.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter);
        Assert.Same(p["weight_ih"], cell.WeightIh);
        Assert.Same(p["weight_hh"], cell.WeightHh);
        Assert.Same(p["bias_ih"], cell.BiasIh);
        Assert.Same(p["bias_hh"], cell.BiasHh);
        Assert.Equal((2, 4), (cell.InputSize, cell.HiddenSize));
        var noBias = new LstmCell(2, 4, bias: false, generator: new Generator(1));
        Assert.Null(noBias.BiasIh);
        Assert.Null(noBias.BiasHh);
    }

    [Fact]
    public void ResetParameters_RedrawsInPlaceFromTheConstructorGenerator()
    {
        var gen = new Generator(3);
        var cell = new LstmCell(2, 3, generator: gen);
        var weight = cell.WeightIh;
        var before = weight.ToArray();
        var stateBefore = gen.GetState();
        cell.ResetParameters();
        Assert.Same(weight, cell.WeightIh);
        Assert.NotEqual(before, weight.ToArray());
        Assert.NotEqual(stateBefore, gen.GetState());
    }

    [Fact]
    public void RejectedArguments_DoNotConsumeRandomNumbers_AndSizesAreCheckedFirst()
    {
        var gen = new Generator(11);
        var state = gen.GetState();
        Assert.Throws<ArgumentException>(() => new RnnCell(3, 4, nonlinearity: "gelu", generator: gen));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LstmCell(0, 4, generator: gen));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GruCell(3, 0, generator: gen));
        Assert.Equal(state, gen.GetState());

        // Both arguments bad: the size error wins, as before the base class existed.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RnnCell(0, 4, nonlinearity: "gelu", generator: gen));
        Assert.Contains("RnnCell: input_size must be at least 1", e.Message);
        Assert.Equal(state, gen.GetState());
    }
}
