using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// Residual blocks run depth-first (<see cref="F.Conv2dPairAddRelu"/>, <see cref="F.Conv2dBlocksAddRelu"/>): bit for bit the
/// fused convolutions and the separate ops, on odd shapes, runs of one to four blocks, several image blocks and 1–3 threads;
/// the separate ops whenever a gradient is needed; and <see cref="FusedConv2d.ForwardBlocks"/>' choice of path. These tests set the global
/// <see cref="Parallelism.Threads"/>, so they share the Gemm tests' serial collection.
/// </summary>
[Collection("GemmSerial")]
public sealed class Conv2dPairAddReluTests
{
    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    public static TheoryData<int, int, int, int, int, int, int, bool> Shapes() => new()
    {
        // n, c, mid, h, w, kH, kW, depth-first path expected. Odd sizes: 1, 3, 5, 17 images (several blocks per thread and
        // a short last block), channel counts that leave partial 12/8/4-row slivers, 1×1 to 32×32 images.
        { 1, 1, 1, 1, 1, 3, 3, true },
        { 3, 3, 17, 5, 7, 3, 3, true },
        { 17, 16, 16, 8, 8, 3, 3, true },
        { 5, 17, 5, 9, 13, 3, 3, true },
        { 5, 8, 8, 32, 32, 3, 3, true },
        { 3, 4, 12, 11, 3, 5, 5, true },
        { 2, 6, 3, 7, 9, 1, 3, true },
        { 2, 5, 6, 6, 6, 1, 1, false },   // pointwise: its own GEMM path, so the two calls
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_depth_first_block_is_the_two_fused_convolutions_bit_for_bit(int n, int c, int mid, int h, int w, int kh, int kw, bool pairPath)
    {
        var g = new Generator(n * 1000 + c * 10 + mid);
        var x = Tensor.Randn([n, c, h, w], g);
        var w1 = Tensor.Randn([mid, c, kh, kw], g) * (1f / MathF.Sqrt(c * kh * kw));
        var w2 = Tensor.Randn([c, mid, kh, kw], g) * (1f / MathF.Sqrt(mid * kh * kw));
        var b1 = Tensor.Randn([mid], g) * 0.5f;
        var b2 = Tensor.Randn([c], g) * 0.5f;
        Pair pad = (kh / 2, kw / 2);

        var g1 = new Conv2dGeometry(n, c, h, w, mid, kh, kw, 1, 1, pad.H, pad.W, 1, 1, 1);
        var g2 = new Conv2dGeometry(n, mid, h, w, c, kh, kw, 1, 1, pad.H, pad.W, 1, 1, 1);
        Assert.Equal(pairPath, Conv2dImplicit.AppliesPair(g1, g2));

        int saved = Parallelism.Threads;
        try
        {
            foreach (bool withBias in new[] { false, true })
            {
                var (bias1, bias2) = withBias ? (b1, b2) : (null, null);
                // The separate ops: conv, add, ReLU.
                var hidden = F.Conv2d(x, w1, bias1, 1, pad).Relu();
                var expected = Bits((F.Conv2d(hidden, w2, bias2, 1, pad) + x).Relu());
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    Parallelism.Threads = threads;
                    var twoCalls = F.Conv2dAddRelu(F.Conv2dAddRelu(x, w1, bias1, null, relu: true, padding: pad), w2, bias2, x, relu: true, padding: pad);
                    Assert.Equal(expected, Bits(twoCalls));
                    Assert.Equal(expected, Bits(F.Conv2dPairAddRelu(x, w1, bias1, w2, bias2, pad, pad)));
                }
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    public static TheoryData<int, int, int, int, int, int> ChainShapes() => new()
    {
        // n, c, mid, h, w, blocks: one to four blocks, odd sizes, several image blocks per thread.
        { 1, 1, 1, 1, 1, 2 },
        { 3, 3, 17, 5, 7, 3 },
        { 17, 16, 16, 8, 8, 4 },
        { 5, 13, 6, 9, 11, 2 },
        { 4, 16, 16, 32, 32, 3 },
    };

    [Theory]
    [MemberData(nameof(ChainShapes))]
    public void A_run_of_blocks_is_every_blocks_separate_ops_bit_for_bit(int n, int c, int mid, int h, int w, int count)
    {
        var g = new Generator(n * 100 + c * 10 + count);
        var x = Tensor.Randn([n, c, h, w], g);
        var blocks = new List<(Tensor, Tensor?, Tensor, Tensor?)>();
        for (int b = 0; b < count; b++)
        {
            // Every other block without biases: the kernel takes each convolution's bias or none.
            bool bias = b % 2 == 0;
            blocks.Add((Tensor.Randn([mid, c, 3, 3], g) * (1f / MathF.Sqrt(c * 9)), bias ? Tensor.Randn([mid], g) * 0.5f : null,
                Tensor.Randn([c, mid, 3, 3], g) * (1f / MathF.Sqrt(mid * 9)), bias ? Tensor.Randn([c], g) * 0.5f : null));
        }
        var expected = x;
        foreach (var (w1, b1, w2, b2) in blocks)
            expected = (F.Conv2d(F.Conv2d(expected, w1, b1, 1, 1).Relu(), w2, b2, 1, 1) + expected).Relu();
        var want = Bits(expected);
        int saved = Parallelism.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.Threads = threads;
                Assert.Equal(want, Bits(F.Conv2dBlocksAddRelu(x, blocks, 1, 1)));
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void Blocks_of_different_shapes_or_none_are_handled_plainly()
    {
        var g = new Generator(31);
        var x = Tensor.Randn([2, 4, 6, 6], g);
        // The second block's hidden width differs: no common layout, so the blocks run one after the other, with the same bits.
        var blocks = new List<(Tensor, Tensor?, Tensor, Tensor?)>
        {
            (Tensor.Randn([4, 4, 3, 3], g), null, Tensor.Randn([4, 4, 3, 3], g), null),
            (Tensor.Randn([6, 4, 3, 3], g), null, Tensor.Randn([4, 6, 3, 3], g), null),
        };
        var expected = x;
        foreach (var (w1, _, w2, _) in blocks)
            expected = (F.Conv2d(F.Conv2d(expected, w1, null, 1, 1).Relu(), w2, null, 1, 1) + expected).Relu();
        Assert.Equal(Bits(expected), Bits(F.Conv2dBlocksAddRelu(x, blocks, 1, 1)));
        Assert.Contains("no block given", Assert.Throws<ArgumentException>(() => F.Conv2dBlocksAddRelu(x, [])).Message);
    }

    [Fact]
    public void The_hidden_activation_is_relu_clipped_and_the_grid_gaps_stay_zero()
    {
        // Guards the test above against a block that would agree with a wrong reference: with a large negative first bias most
        // hidden units are cut by the ReLU, and the second convolution sees only the kept ones (a gap column of the first
        // convolution's grid left non-zero would leak into the second's borders).
        var g = new Generator(21);
        var x = Tensor.Randn([2, 8, 9, 9], g);
        var w1 = Tensor.Randn([8, 8, 3, 3], g);
        var w2 = Tensor.Randn([8, 8, 3, 3], g) * 0.1f;
        var b1 = Tensor.Full([8], -2f);
        var hidden = F.Conv2d(x, w1, b1, 1, 1).ToArray();
        Assert.Contains(hidden, v => v < 0f);
        Assert.Contains(hidden, v => v > 0f);
        var block = F.Conv2dPairAddRelu(x, w1, b1, w2, null, 1, 1).ToArray();
        var noRelu = (F.Conv2d(F.Conv2d(x, w1, b1, 1, 1), w2, null, 1, 1) + x).Relu().ToArray();
        Assert.NotEqual(noRelu, block);
        var reference = (F.Conv2d(F.Conv2d(x, w1, b1, 1, 1).Relu(), w2, null, 1, 1) + x).Relu().ToArray();
        Assert.Equal(reference, block);
    }

    [Fact]
    public void Under_a_graph_it_is_the_separate_ops_with_their_gradients()
    {
        var g = new Generator(23);
        var x = Tensor.Randn([2, 4, 6, 6], g);
        var w1 = Tensor.Randn([4, 4, 3, 3], g);
        var w2 = Tensor.Randn([4, 4, 3, 3], g);
        var xa = x.Detach().RequiresGrad_();
        var xb = x.Detach().RequiresGrad_();
        var ya = F.Conv2dPairAddRelu(xa, w1, null, w2, null, 1, 1);
        var yb = (F.Conv2d(F.Conv2d(xb, w1, null, 1, 1).Relu(), w2, null, 1, 1) + xb).Relu();
        Assert.NotNull(ya.GradFn);
        ya.Sum().Backward();
        yb.Sum().Backward();
        Assert.Equal(Bits(yb.Detach()), Bits(ya.Detach()));
        Assert.Equal(Bits(xb.Grad!), Bits(xa.Grad!));
    }

    [Fact]
    public void Shapes_that_do_not_chain_get_a_convolutions_own_error()
    {
        var x = Tensor.Zeros([1, 3, 5, 5]);
        // The second convolution's output has 2 channels, not the input's 3: the residual add refuses it.
        Assert.Throws<ArgumentException>(() => F.Conv2dPairAddRelu(x, Tensor.Zeros([4, 3, 3, 3]), null, Tensor.Zeros([2, 4, 3, 3]), null, 1, 1));
        // The first weight expects 4 input channels.
        var e = Assert.Throws<ArgumentException>(() => F.Conv2dPairAddRelu(x, Tensor.Zeros([4, 4, 3, 3]), null, Tensor.Zeros([3, 4, 3, 3]), null, 1, 1));
        Assert.Contains("expected input with 4 channels", e.Message);
    }

    [Fact]
    public void ForwardBlocks_runs_a_chain_of_blocks_and_the_forwards_when_one_convolution_is_hooked()
    {
        var g = new Generator(37);
        Conv2d Conv() { var c = new Conv2d(5, 5, 3, padding: 1, generator: g); c.Eval(); return c; }
        var blocks = Enumerable.Range(0, 3)
            .Select(_ => (new FusedConv2d(Conv(), relu: true, takesResidual: false), new FusedConv2d(Conv(), relu: true, takesResidual: true)))
            .ToList();
        var x = Tensor.Randn([3, 5, 9, 9], g);
        using (Torch.NoGrad())
        {
            var y = x;
            foreach (var (first, second) in blocks) y = second.Forward(first.Forward(y), y);
            var forwards = Bits(y);
            Assert.Equal(forwards, Bits(FusedConv2d.ForwardBlocks(blocks, x)));
            int calls = 0;
            // (The residual convolution's two-input forward runs no Module hooks, so the first convolution carries the hook.)
            blocks[1].Item1.RegisterForwardHook((_, _, o) => { calls++; return o; });
            Assert.Equal(forwards, Bits(FusedConv2d.ForwardBlocks(blocks, x)));
            Assert.Equal(1, calls);
        }
    }

    [Fact]
    public void ForwardBlock_takes_the_depth_first_path_only_without_hooks_and_gives_the_same_bits_either_way()
    {
        var g = new Generator(29);
        Conv2d Conv() { var c = new Conv2d(6, 6, 3, padding: 1, generator: g); c.Eval(); return c; }
        var first = new FusedConv2d(Conv(), relu: true, takesResidual: false);
        var second = new FusedConv2d(Conv(), relu: true, takesResidual: true);
        var x = Tensor.Randn([3, 6, 7, 7], g);
        using (Torch.NoGrad())
        {
            var twoForwards = Bits(second.Forward(first.Forward(x), x));
            Assert.Equal(twoForwards, Bits(FusedConv2d.ForwardBlock(first, second, x)));

            // A hook on either convolution must see its call: the block then runs the two forwards.
            int calls = 0;
            first.RegisterForwardHook((_, _, y) => { calls++; return y; });
            Assert.Equal(twoForwards, Bits(FusedConv2d.ForwardBlock(first, second, x)));
            Assert.Equal(1, calls);
        }
        Assert.Throws<InvalidOperationException>(() => FusedConv2d.ForwardBlock(second, first, x));
    }
}
