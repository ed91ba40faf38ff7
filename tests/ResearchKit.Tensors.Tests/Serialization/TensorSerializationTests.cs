using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Serialization;
using ResearchKit.Tensors.Tests.Parity;
using Xunit;

namespace ResearchKit.Tensors.Tests.Serialization;

public sealed class TensorSerializationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rk-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A two-level module with a parameter, an absent parameter, an Int64 buffer and a child.</summary>
    private sealed class Block : Module
    {
        public Tensor Weight { get; }
        public Tensor Count { get; }
        public Block(int seed)
        {
            Weight = RegisterParameter("weight", Tensor.Randn([3, 2], new Generator(seed)));
            RegisterParameter("bias");
            Count = RegisterBuffer("num_batches_tracked", Tensor.FromArray(new long[] { seed }, Array.Empty<int>()));
        }
    }

    private sealed class Net : Module
    {
        public Block Layer { get; }
        public Tensor Scale { get; }
        public Net(int seed)
        {
            Scale = RegisterParameter("scale", Tensor.Randn([4], new Generator(seed + 100)));
            Layer = RegisterModule("layer1", new Block(seed));
        }
    }

    [Fact]
    public void SaveLoad_RoundTripsFloatInt64ScalarAndViews()
    {
        var t = new Dictionary<string, Tensor>
        {
            ["a"] = Tensor.Randn([2, 3], new Generator(1)).T,  // non-contiguous view
            ["idx"] = Tensor.FromArray(new long[] { 5, -1, 7 }),
            ["s"] = Tensor.Scalar(3.5f),
        };
        string p = Path.Combine(_dir, "t.safetensors");
        SafeTensors.Save(p, t, new Dictionary<string, string> { ["note"] = "x" });
        var (back, meta) = SafeTensors.LoadWithMetadata(p);
        Assert.Equal(t["a"].ToArray(), back["a"].ToArray());
        Assert.Equal(new Shape(3, 2), back["a"].Shape);
        Assert.Equal(DType.Int64, back["idx"].DType);
        Assert.Equal(new long[] { 5, -1, 7 }, back["idx"].ToInt64Array());
        Assert.Equal(0, back["s"].Dim);
        Assert.Equal("x", meta["note"]);
    }

    [Fact]
    public void Module_SaveLoad_UsesPyTorchNames_AndCopiesInPlace()
    {
        var src = new Net(1);
        var dst = new Net(2);
        var weightRef = dst.Layer.Weight;
        string p = Path.Combine(_dir, "net.safetensors");
        src.Save(p);
        Assert.Equal(new[] { "scale", "layer1.weight", "layer1.num_batches_tracked" }, SafeTensors.Load(p).Keys);
        dst.Load(p);
        Assert.Same(weightRef, dst.Layer.Weight);
        Assert.Equal(src.Layer.Weight.ToArray(), dst.Layer.Weight.ToArray());
        Assert.Equal(1L, dst.Layer.Count.ToInt64Array()[0]);
    }

    [Fact]
    public void LoadStateDict_ListsMissingAndUnexpectedKeys()
    {
        var net = new Net(1);
        var sd = net.StateDict();
        sd.Remove("layer1.weight");
        sd.Remove("scale");
        sd["layer1.extra"] = Tensor.Zeros(1);
        var ex = Assert.Throws<ArgumentException>(() => net.LoadStateDict(sd));
        Assert.Contains("Missing key(s): scale, layer1.weight", ex.Message);
        Assert.Contains("Unexpected key(s): layer1.extra", ex.Message);
        var (missing, unexpected) = net.LoadStateDict(sd, strict: false);
        Assert.Equal(new[] { "scale", "layer1.weight" }, missing);
        Assert.Equal(new[] { "layer1.extra" }, unexpected);
    }

    [Fact]
    public void LoadStateDict_ShapeMismatch_NamesKeyAndBothShapes()
    {
        var net = new Net(1);
        var sd = net.StateDict();
        sd["layer1.weight"] = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => net.LoadStateDict(sd));
        Assert.Contains("layer1.weight", ex.Message);
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(3, 2)", ex.Message);
    }

    [Fact]
    public void TruncatedCheckpoint_IsRejectedWithMessage_NotGarbage()
    {
        string p = Path.Combine(_dir, "net.safetensors");
        new Net(1).Save(p);
        var bytes = File.ReadAllBytes(p);
        File.WriteAllBytes(p, bytes[..^5]);
        var ex = Assert.Throws<SafeTensorsFormatException>(() => new Net(2).Load(p));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains(p, ex.Message);
    }

    [Fact]
    public void LibraryReader_AgreesWithIndependentFixtureReader()
    {
        var fx = Fixture.Load("resnet20");
        var lib = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", "resnet20.safetensors"));
        Assert.Equal(fx.Keys.OrderBy(k => k, StringComparer.Ordinal), lib.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var k in fx.Keys)
        {
            Assert.Equal(fx[k].Shape, lib[k].Shape);
            Assert.Equal(fx[k].ToArray(), lib[k].ToArray());
        }
    }
}
