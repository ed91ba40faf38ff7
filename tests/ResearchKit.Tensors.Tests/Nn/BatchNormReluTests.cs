using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// The evaluation-mode batch norm and ReLU in one pass (<see cref="F.BatchNormRelu"/>, <see cref="BatchNormBase.ForwardRelu"/>):
/// forward and input gradient bit for bit the separate ops on odd shapes, NaN included, at 1 and 2 threads; the double
/// backward and the γ/β gradients equal theirs; training mode and hooks keep the separate modules. These tests set the global <see cref="Parallelism.Threads"/>, so they share the Gemm tests' serial collection.
/// </summary>
[Collection("GemmSerial")]
public sealed class BatchNormReluTests
{
    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 3, 5, 7, 9 },
        new[] { 2, 3 },           // (N, C): one value per plane
        new[] { 4, 17, 1, 1 },
        new[] { 1, 1, 1, 1 },
        new[] { 2, 16, 32, 32 },  // several planes per parallel range
        new[] { 4, 16, 64, 64 },  // 2·ParallelGrain elements: two ranges at 2 threads, so the workers run the loops (and the allocator's
                                  // debug check fails a kernel that reads a pooled array there, which cost every PGD step 44 MiB)
        new[] { 3, 4, 13 },       // (N, C, L)
    };

    private static (Tensor Mean, Tensor Var, Tensor Weight, Tensor Bias) Stats(int c, Generator g)
        => (Tensor.Randn([c], g) * 0.3f, Tensor.Rand([c], g) * 2f + 0.05f, Tensor.Randn([c], g), Tensor.Randn([c], g) * 0.5f);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_input_gradient_are_the_separate_ops_bit_for_bit(int[] shape)
    {
        var g = new Generator(shape.Sum());
        int c = shape[1];
        var (mean, var, weight, bias) = Stats(c, g);
        var data = Tensor.Randn(shape, g).ToArray();
        data[data.Length / 2] = float.NaN;   // NaN takes the same path through both
        var upstream = Tensor.Randn(shape, g);
        int saved = Parallelism.Threads;
        try
        {
            foreach (bool affine in new[] { true, false })
                foreach (int threads in new[] { 1, 2 })
                {
                    Parallelism.Threads = threads;
                    var (w, b) = affine ? (weight, bias) : (null, null);
                    var xa = Tensor.FromArray((float[])data.Clone(), shape).RequiresGrad_();
                    var xb = Tensor.FromArray((float[])data.Clone(), shape).RequiresGrad_();
                    var separate = F.BatchNorm(xa, mean, var, w, b, training: false).Relu();
                    var fused = F.BatchNormRelu(xb, mean, var, w, b);
                    Assert.Equal(Bits(separate.Detach()), Bits(fused.Detach()));
                    Assert.Equal("batch_norm_relu", fused.GradFn!.Name);
                    separate.Backward(upstream);
                    fused.Backward(upstream);
                    Assert.Equal(Bits(xa.Grad!), Bits(xb.Grad!));
                }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void The_relu_really_cuts_and_the_gradient_really_scales()
    {
        // Guards the test above against two wrong sides that agree: some outputs are cut to 0 with zero gradient, the
        // others pass x·scale + shift with gradient scale.
        var x = Tensor.FromArray([-3f, -1f, 1f, 3f], 1, 1, 2, 2).RequiresGrad_();
        var y = F.BatchNormRelu(x, Tensor.FromArray([0f], 1), Tensor.FromArray([4f], 1), Tensor.FromArray([2f], 1), Tensor.FromArray([0.5f], 1), eps: 0f);
        Assert.Equal(new[] { 0f, 0f, 1.5f, 3.5f }, y.ToArray());
        y.Sum().Backward();
        Assert.Equal(new[] { 0f, 0f, 1f, 1f }, x.Grad!.ToArray());
    }

    [Fact]
    public void Double_backward_and_parameter_gradients_are_the_separate_ops()
    {
        var g = new Generator(41);
        var (mean, var, weight, bias) = Stats(3, g);
        var x = Tensor.Randn([2, 3, 4, 4], g);

        // createGraph: the recorded backward is the separate ops' rules, so a second derivative matches theirs.
        var xa = x.Detach().RequiresGrad_();
        var xb = x.Detach().RequiresGrad_();
        var ga = Autograd.Grad((F.BatchNorm(xa, mean, var, weight, bias).Relu() * xa).Sum(), xa, createGraph: true);
        var gb = Autograd.Grad((F.BatchNormRelu(xb, mean, var, weight, bias) * xb).Sum(), xb, createGraph: true);
        Assert.Equal(Bits(ga.Detach()), Bits(gb.Detach()));
        Assert.Equal(Bits(Autograd.Grad(ga.Sum(), xa)), Bits(Autograd.Grad(gb.Sum(), xb)));

        // γ and β needing gradients (module parameters do by default), with the input's too.
        var wa = weight.Detach().RequiresGrad_(); var wb = weight.Detach().RequiresGrad_();
        var ba = bias.Detach().RequiresGrad_(); var bb = bias.Detach().RequiresGrad_();
        var x1 = x.Detach().RequiresGrad_(); var x2 = x.Detach().RequiresGrad_();
        var upstream = Tensor.Randn([2, 3, 4, 4], g);
        F.BatchNorm(x1, mean, var, wa, ba).Relu().Backward(upstream);
        var fused = F.BatchNormRelu(x2, mean, var, wb, bb);
        Assert.Equal("batch_norm_relu", fused.GradFn!.Name);
        fused.Backward(upstream);
        Assert.Equal(Bits(wa.Grad!), Bits(wb.Grad!));
        Assert.Equal(Bits(ba.Grad!), Bits(bb.Grad!));
        Assert.Equal(Bits(x1.Grad!), Bits(x2.Grad!));
    }

    [Fact]
    public void ForwardRelu_fuses_only_in_evaluation_mode_without_hooks()
    {
        var g = new Generator(43);
        var bn = new BatchNorm2d(4);
        var relu = new ReLU();
        var x = Tensor.Randn([3, 4, 5, 5], g) * 2f + 1f;

        // Training: the batch norm's own forward, which updates its running statistics.
        var before = bn.RunningMean!.ToArray();
        var trained = bn.ForwardRelu(x, relu);
        Assert.NotEqual(before, bn.RunningMean!.ToArray());
        Assert.Equal(Bits(F.BatchNorm(x, null, null, bn.Weight, bn.Bias, training: true).Relu()), Bits(trained));

        bn.Eval();
        var xa = x.Detach().RequiresGrad_();
        var y = bn.ForwardRelu(xa, relu);
        Assert.Equal("batch_norm_relu", y.GradFn!.Name);
        Assert.Equal(Bits(relu.Forward(bn.Forward(x))), Bits(y.Detach()));

        int calls = 0;
        using (relu.RegisterForwardHook((_, _, o) => { calls++; return o; }))
        {
            var hooked = bn.ForwardRelu(xa, relu);
            Assert.Equal(1, calls);
            Assert.Equal(Bits(y.Detach()), Bits(hooked.Detach()));
        }
        Assert.Throws<ArgumentException>(() => bn.ForwardRelu(Tensor.Zeros([1, 3, 2, 2]), relu));
    }
}
