using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>One differentiable op (or op configuration) with well-conditioned inputs.</summary>
/// <param name="Name">Unique key (theory row).</param>
/// <param name="Covers">Public API members it exercises, as "Tensor.Method", "Functional.Method" or a module class name.</param>
/// <param name="Make">Builds fresh inputs (leaves requiring grad, away from kinks) and the function of them.</param>
/// <param name="Eps">Finite-difference step; smaller only where kinks are closer than the default step.</param>
public sealed record OpCase(string Name, string[] Covers, Func<(Tensor[] Inputs, Func<Tensor[], Tensor> Fn)> Make, float Eps = GradCheck.DefaultEps)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Registry of every differentiable op of the public API. The first- and second-order theories iterate over it, and
/// <see cref="OpRegistryTests.EveryPublicOp_IsRegisteredOrExcluded"/> fails when a public op is missing, so no op can
/// escape the checks by being forgotten.
/// </summary>
public static class OpRegistry
{
    /// <summary>All cases by name.</summary>
    public static IReadOnlyDictionary<string, OpCase> Cases { get; } = Build();

    private const float Gap = 0.05f; // kinks stay ≥ 0.075 from any input, ~10× the default step

    private static Tensor L(int seed, params int[] shape) => GradCheck.Leaf(seed, shape);
    private static Tensor P(int seed, params int[] shape) => GradCheck.PositiveLeaf(seed, shape);
    private static Tensor Kinked(int seed, float[] kinks, params int[] shape) => GradCheck.AvoidKinks(L(seed, shape), Gap, kinks);
    private static Tensor U(int seed, float lo, float hi, params int[] shape) => Tensor.Uniform(shape, lo, hi, new Generator(seed)).RequiresGrad_();
    // Distinct values 0.1 apart: no ties within the step for max/sort/pooling.
    private static Tensor Distinct(int seed, params int[] shape) => GradCheck.DistinctLeaf(seed, 0.1f, 0f, shape);
    private static Tensor Idx(int[] shape, params long[] v) => Tensor.FromArray(v, shape);
    private static Tensor Mask(int seed, params int[] shape) => Tensor.Bernoulli(shape, 0.5f, new Generator(seed)).Gt(0.5f);

    /// <summary>Flattens and concatenates several outputs so one check covers all of them.</summary>
    private static Tensor Flat(params Tensor?[] parts)
    {
        var list = new List<Tensor>();
        foreach (var p in parts) if (p is not null) list.Add(p.Reshape(-1));
        return Tensor.Cat(list, 0);
    }

    private static Dictionary<string, OpCase> Build()
    {
        var d = new Dictionary<string, OpCase>();
        void Add(string name, string covers, Func<Tensor[], Tensor> fn, params Func<Tensor>[] inputs) =>
            d.Add(name, new OpCase(name, covers.Split(' '), () => (inputs.Select(m => m()).ToArray(), fn)));
        void AddModule(string name, string covers, Func<(Tensor[], Func<Tensor[], Tensor>)> make) =>
            d.Add(name, new OpCase(name, covers.Split(' '), make));

        // ── elementwise unary ──
        Add("neg", "Tensor.Neg Tensor.op_UnaryNegation", t => -t[0], () => L(1, 2, 3));
        Add("exp", "Tensor.Exp", t => t[0].Exp(), () => L(2, 2, 3));
        Add("log", "Tensor.Log", t => t[0].Log(), () => P(3, 2, 3));
        Add("sqrt", "Tensor.Sqrt", t => t[0].Sqrt(), () => P(4, 2, 3));
        Add("rsqrt", "Tensor.Rsqrt", t => t[0].Rsqrt(), () => P(5, 2, 3));
        Add("reciprocal", "Tensor.Reciprocal", t => t[0].Reciprocal(), () => P(6, 2, 3));
        Add("square", "Tensor.Square", t => t[0].Square(), () => L(7, 2, 3));
        Add("pow_scalar", "Tensor.Pow", t => t[0].Pow(2.5f), () => P(8, 2, 3));
        Add("abs", "Tensor.Abs", t => t[0].Abs(), () => Kinked(9, [0f], 2, 3));
        Add("sin", "Tensor.Sin", t => t[0].Sin(), () => L(10, 2, 3));
        Add("cos", "Tensor.Cos", t => t[0].Cos(), () => L(11, 2, 3));
        Add("tanh", "Tensor.Tanh Functional.Tanh", t => F.Tanh(t[0]), () => U(12, -2f, 2f, 2, 3));
        Add("sigmoid", "Tensor.Sigmoid Functional.Sigmoid", t => F.Sigmoid(t[0]), () => U(13, -3f, 3f, 2, 3));
        Add("relu", "Tensor.Relu Functional.Relu", t => t[0].Relu(), () => Kinked(14, [0f], 2, 3));
        // The reported symptom: ∂²/∂x² of Σ relu(x)·x came out [1, 0, 1] instead of [2, 0, 2].
        Add("relu_times_x", "Tensor.Relu", t => t[0].Relu() * t[0], () => Kinked(29, [0f], 2, 3));
        Add("leaky_relu", "Tensor.LeakyRelu Functional.LeakyRelu", t => F.LeakyRelu(t[0], 0.2f), () => Kinked(15, [0f], 2, 3));
        Add("elu", "Tensor.Elu Functional.Elu", t => F.Elu(t[0], 0.7f), () => Kinked(16, [0f], 2, 3));
        Add("silu", "Tensor.Silu Functional.Silu", t => F.Silu(t[0]), () => U(17, -2f, 2f, 2, 3));
        Add("gelu_tanh", "Tensor.GeluTanh Functional.Gelu", t => F.Gelu(t[0], "tanh"), () => U(18, -2f, 2f, 2, 3));
        Add("gelu", "Functional.Gelu", t => F.Gelu(t[0]), () => U(19, -2f, 2f, 2, 3));
        Add("softplus", "Tensor.Softplus Functional.Softplus", t => F.Softplus(t[0], 2f), () => U(20, -2f, 2f, 2, 3));
        Add("clamp", "Tensor.Clamp", t => t[0].Clamp(-0.5f, 0.5f), () => Kinked(21, [-0.5f, 0.5f], 2, 3));
        Add("clamp_min_only", "Tensor.Clamp", t => t[0].Clamp(min: 0.2f), () => Kinked(22, [0.2f], 2, 3));
        Add("clamp_tensor", "Tensor.Clamp", t => t[0].Clamp(t[1], t[2]),
            () => Kinked(23, [-0.5f, 0.5f], 2, 3), () => Tensor.Full([3], -0.5f).RequiresGrad_(), () => Tensor.Full([2, 1], 0.5f).RequiresGrad_());
        Add("hardtanh", "Functional.Hardtanh", t => F.Hardtanh(t[0], -0.5f, 0.5f), () => Kinked(24, [-0.5f, 0.5f], 2, 3));
        Add("relu6", "Functional.Relu6", t => F.Relu6(t[0] * 4f + 2f), () => Kinked(25, [-0.5f, 1f], 2, 3)); // kinks at 4x+2 ∈ {0, 6}
        Add("clone", "Tensor.Clone", t => t[0].Clone(), () => L(26, 2, 3));
        Add("float_identity", "Tensor.Float", t => t[0].Float(), () => L(28, 2, 3)); // Float32 → Float32 is the identity
        Add("contiguous", "Tensor.Contiguous", t => t[0].T.Contiguous(), () => L(27, 2, 3));

        // ── elementwise binary (with broadcasting) and scalar operators ──
        Add("add", "Tensor.op_Addition", t => t[0] + t[1], () => L(30, 2, 3), () => L(31, 3));
        Add("add_alpha", "Tensor.Add", t => t[0].Add(t[1], 1.5f), () => L(32, 2, 3), () => L(33, 2, 1));
        Add("sub", "Tensor.op_Subtraction", t => t[0] - t[1], () => L(34, 2, 3), () => L(35, 3));
        Add("mul", "Tensor.op_Multiply", t => t[0] * t[1], () => L(36, 2, 3), () => L(37, 2, 1));
        Add("div", "Tensor.op_Division", t => t[0] / t[1], () => L(38, 2, 3), () => P(39, 3));
        // a/b stays inside (1.1, 1.9): away from the jumps of floor, remainder is a − b there.
        Add("remainder", "Tensor.Remainder", t => t[0].Remainder(t[1]), () => U(300, 2.2f, 2.8f, 2, 3), () => U(301, 1.5f, 2f, 3));
        Add("scalar_ops", "Tensor.op_Addition Tensor.op_Subtraction Tensor.op_Multiply Tensor.op_Division",
            t => (2f - t[0] * 3f + 1f) / 2f + 1.5f / t[0] - (t[0] - 0.5f) + 0.5f * t[0], () => P(40, 2, 3));
        Add("pow_tensor", "Tensor.Pow", t => t[0].Pow(t[1]), () => P(41, 2, 3), () => U(42, -1.5f, 1.5f, 3));
        Add("maximum", "Tensor.Maximum", t => Tensor.Maximum(t[0], t[1]), () => Distinct(43, 2, 3), () => GradCheck.DistinctLeaf(44, 0.1f, 0.05f, 2, 3));
        Add("minimum", "Tensor.Minimum", t => Tensor.Minimum(t[0], t[1]), () => Distinct(45, 2, 3), () => GradCheck.DistinctLeaf(46, 0.1f, 0.05f, 2, 3));
        Add("where", "Tensor.Where", t => Tensor.Where(Mask(47, 2, 3), t[0], t[1]), () => L(48, 2, 3), () => L(49, 3));
        Add("masked_fill", "Tensor.MaskedFill", t => t[0].MaskedFill(Mask(50, 2, 3), 0.5f), () => L(51, 2, 3));

        // ── reductions and scans ──
        Add("sum", "Tensor.Sum", t => t[0].Sum([0, 2]), () => L(60, 2, 3, 2));
        Add("sum_all", "Tensor.Sum", t => t[0].Sum(), () => L(61, 2, 3));
        Add("sum_dim_keep", "Tensor.Sum", t => t[0].Sum(1, keepDim: true), () => L(62, 2, 3));
        Add("mean", "Tensor.Mean", t => t[0].Mean(1), () => L(63, 2, 3));
        Add("mean_all", "Tensor.Mean", t => t[0].Mean(), () => L(64, 2, 3));
        Add("var", "Tensor.Var", t => t[0].Var([1]), () => L(65, 2, 3));
        Add("std", "Tensor.Std", t => t[0].Std([0, 1], correction: 0), () => L(66, 2, 3));
        Add("max_dim", "Tensor.Max", t => t[0].Max(1).Values, () => Distinct(67, 2, 3));
        Add("min_dim", "Tensor.Min", t => t[0].Min(0, keepDim: true).Values, () => Distinct(68, 2, 3));
        Add("max_all", "Tensor.Max", t => t[0].Max(), () => Distinct(69, 2, 3));
        Add("min_all", "Tensor.Min", t => t[0].Min(), () => Distinct(70, 2, 3));
        Add("norm2", "Tensor.Norm", t => t[0].Norm(2, [1]), () => L(71, 2, 3));
        Add("norm3", "Tensor.Norm", t => t[0].Norm(3, [1]), () => L(72, 2, 3));
        Add("norm1", "Tensor.Norm", t => t[0].Norm(1, [0]), () => Kinked(73, [0f], 2, 3));
        Add("norm_inf", "Tensor.Norm", t => t[0].Norm(float.PositiveInfinity, [1]), () => GradCheck.DistinctLeaf(74, 0.1f, 0.6f, 2, 3));
        Add("logsumexp", "Tensor.LogSumExp", t => t[0].LogSumExp(1), () => L(75, 2, 3));
        Add("cumsum", "Tensor.Cumsum", t => t[0].Cumsum(1), () => L(76, 2, 3));
        Add("cumprod", "Tensor.Cumprod", t => t[0].Cumprod(1), () => U(77, 0.5f, 1.5f, 2, 3));
        Add("cumprod_signed", "Tensor.Cumprod", t => t[0].Cumprod(0), () => Kinked(78, [0f], 3, 2));
        Add("dot", "Tensor.Dot", t => t[0].Dot(t[1]), () => L(79, 4), () => L(80, 4));

        // ── sort family (values) ──
        Add("sort", "Tensor.Sort", t => t[0].Sort(1).Values, () => Distinct(85, 2, 3));
        Add("sort_desc", "Tensor.Sort", t => t[0].Sort(0, descending: true).Values, () => Distinct(86, 3, 2));
        Add("topk", "Tensor.Topk", t => t[0].Topk(2, 1).Values, () => Distinct(87, 2, 4));
        Add("topk_smallest", "Tensor.Topk", t => t[0].Topk(2, 0, largest: false).Values, () => Distinct(88, 3, 2));
        Add("kthvalue", "Tensor.Kthvalue", t => t[0].Kthvalue(2, 1).Values, () => Distinct(89, 2, 4));
        Add("median_dim", "Tensor.Median", t => t[0].Median(1).Values, () => Distinct(90, 2, 3));
        Add("median_all", "Tensor.Median", t => t[0].Median(), () => Distinct(91, 5));

        // ── views and movement ──
        Add("reshape", "Tensor.Reshape", t => t[0].T.Reshape(3, 2), () => L(100, 2, 3));
        Add("view", "Tensor.View", t => t[0].View(3, 2), () => L(101, 2, 3));
        Add("flatten", "Tensor.Flatten", t => t[0].Flatten(1), () => L(102, 2, 2, 2));
        Add("permute", "Tensor.Permute", t => t[0].Permute(2, 0, 1), () => L(103, 2, 3, 2));
        Add("transpose", "Tensor.Transpose", t => t[0].Transpose(0, 2), () => L(104, 2, 3, 2));
        Add("t", "Tensor.get_T", t => t[0].T, () => L(105, 2, 3));
        Add("slice", "Tensor.Slice", t => t[0].Slice(1, 1, 4, 2), () => L(106, 2, 4));
        Add("narrow", "Tensor.Narrow", t => t[0].Narrow(1, 1, 2), () => L(107, 2, 4));
        Add("select", "Tensor.Select", t => t[0].Select(1, 2), () => L(108, 2, 3));
        Add("chunk", "Tensor.Chunk", t => t[0].Chunk(2, 1)[1], () => L(109, 2, 4));
        Add("split", "Tensor.Split", t => t[0].Split(1, 0)[1], () => L(110, 3, 2));
        Add("split_sizes", "Tensor.Split", t => t[0].Split([1, 2], 1)[1], () => L(111, 2, 3));
        Add("diagonal", "Tensor.Diagonal", t => t[0].Diagonal(1, 0, 1), () => L(112, 3, 4));
        Add("expand", "Tensor.Expand", t => t[0].Expand(2, 3, 2), () => L(113, 3, 1));
        Add("expand_as", "Tensor.ExpandAs", t => t[0].ExpandAs(Tensor.Zeros(2, 3)), () => L(114, 1, 3)); // the target only lends its shape
        Add("squeeze_dim", "Tensor.Squeeze", t => t[0].Squeeze(1), () => L(116, 2, 1, 3));
        Add("squeeze_all", "Tensor.Squeeze", t => t[0].Squeeze(), () => L(117, 2, 1, 3, 1));
        Add("unsqueeze", "Tensor.Unsqueeze", t => t[0].Unsqueeze(1), () => L(118, 2, 3));
        Add("flip", "Tensor.Flip", t => t[0].Flip(0, 1), () => L(119, 2, 3));
        Add("roll", "Tensor.Roll", t => t[0].Roll([1, -1], [0, 1]), () => L(120, 2, 3));
        Add("roll_flat", "Tensor.Roll", t => t[0].Roll(2), () => L(121, 2, 3));
        Add("repeat", "Tensor.Repeat", t => t[0].Repeat(2, 1, 2), () => L(122, 2, 2));
        Add("repeat_interleave", "Tensor.RepeatInterleave", t => t[0].RepeatInterleave(2, dim: 1), () => L(123, 2, 2));
        Add("repeat_interleave_tensor", "Tensor.RepeatInterleave", t => t[0].RepeatInterleave(Idx([3], 2, 0, 1), 1), () => L(124, 2, 3));
        Add("tril", "Tensor.Tril", t => t[0].Tril(), () => L(125, 3, 3));
        Add("triu", "Tensor.Triu", t => t[0].Triu(-1), () => L(126, 3, 3));
        Add("pad_constant", "Tensor.Pad", t => t[0].Pad([1, 2, -1, 1], 0.5f), () => L(127, 3, 3));
        Add("pad_reflect", "Tensor.Pad", t => t[0].Pad([2, 1, 1, 1], "reflect"), () => L(128, 1, 3, 3));
        Add("pad_replicate", "Tensor.Pad", t => t[0].Pad([2, 1, 1, 1], "replicate"), () => L(129, 1, 3, 3));
        Add("pad_circular", "Tensor.Pad", t => t[0].Pad([2, 1, 1, 1], "circular"), () => L(130, 1, 3, 3));
        Add("cat", "Tensor.Cat", t => Tensor.Cat([t[0], t[1]], 1), () => L(131, 2, 2), () => L(132, 2, 1));
        Add("stack", "Tensor.Stack", t => Tensor.Stack([t[0], t[1]], 1), () => L(133, 2, 2), () => L(134, 2, 2));

        // ── indexing ──
        Add("index_select", "Tensor.IndexSelect", t => t[0].IndexSelect(1, Idx([4], 2, 0, 2, 1)), () => L(140, 2, 3));
        Add("index", "Tensor.Index", t => t[0].Index(Idx([2, 2], 2, -1, 0, 2)), () => L(141, 3, 2));
        Add("masked_select", "Tensor.MaskedSelect", t => t[0].MaskedSelect(Tensor.FromArray([1f, 0, 1, 1, 0, 1], 2, 3).Gt(0.5f)), () => L(142, 2, 3));
        Add("gather", "Tensor.Gather", t => t[0].Gather(1, Idx([2, 3], 0, 2, 2, 1, 0, 1)), () => L(143, 2, 3));
        Add("scatter", "Tensor.Scatter", t => t[0].Scatter(1, Idx([2, 2], 0, 2, 1, 0), t[1]), () => L(144, 2, 3), () => L(145, 2, 2));
        Add("scatter_value", "Tensor.Scatter", t => t[0].Scatter(1, Idx([2, 2], 0, 2, 1, 0), 0.5f), () => L(146, 2, 3));
        Add("scatter_add", "Tensor.ScatterAdd", t => t[0].ScatterAdd(1, Idx([2, 3], 0, 2, 0, 1, 1, 2), t[1]), () => L(147, 2, 3), () => L(148, 2, 3));
        foreach (var r in new[] { "sum", "prod", "mean", "amax", "amin" })
            Add("scatter_reduce_" + r, "Tensor.ScatterReduce", t => t[0].ScatterReduce(1, Idx([2, 3], 0, 2, 0, 1, 1, 2), t[1], r),
                () => GradCheck.DistinctLeaf(149, 0.1f, 0.6f, 2, 3), () => GradCheck.DistinctLeaf(150, 0.1f, 0.65f, 2, 3));
        Add("index_add", "Tensor.IndexAdd", t => t[0].IndexAdd(1, Idx([2], 2, 0), t[1], alpha: -1.5f), () => L(151, 2, 3), () => L(152, 2, 2));
        Add("index_copy", "Tensor.IndexCopy", t => t[0].IndexCopy(0, Idx([2], 2, 0), t[1]), () => L(153, 3, 2), () => L(154, 2, 2));
        Add("index_put", "Tensor.IndexPut", t => t[0].IndexPut(Idx([2], 0, -1), t[1]), () => L(155, 3, 2), () => L(156, 2));
        Add("index_put_accumulate", "Tensor.IndexPut", t => t[0].IndexPut(Idx([2], 1, 1), t[1], accumulate: true), () => L(157, 3, 2), () => L(158, 2, 1));

        // ── products ──
        Add("matmul", "Tensor.Matmul", t => t[0].Matmul(t[1]), () => L(160, 2, 3), () => L(161, 3, 2));
        Add("matmul_batched_broadcast", "Tensor.Matmul", t => t[0].Matmul(t[1].T), () => L(162, 2, 2, 3), () => L(163, 2, 3));
        Add("matmul_vector", "Tensor.Matmul", t => t[0].Matmul(t[1]), () => L(164, 2, 3), () => L(165, 3));
        Add("bmm", "Tensor.Bmm", t => t[0].Bmm(t[1]), () => L(166, 2, 2, 3), () => L(167, 2, 3, 2));
        Add("linear", "Functional.Linear", t => F.Linear(t[0], t[1], t[2]), () => L(168, 2, 3), () => L(169, 2, 3), () => L(170, 2));
        Add("linear_no_bias_3d", "Functional.Linear", t => F.Linear(t[0], t[1]), () => L(171, 2, 2, 3), () => L(172, 2, 3));

        // ── functional: softmax, conv, pooling, normalization ──
        Add("softmax", "Functional.Softmax", t => F.Softmax(t[0], 1), () => U(180, -2f, 2f, 2, 3));
        Add("log_softmax", "Functional.LogSoftmax", t => F.LogSoftmax(t[0], 0), () => U(181, -2f, 2f, 3, 2));
        Add("conv2d", "Functional.Conv2d", t => F.Conv2d(t[0], t[1], t[2]), () => L(182, 1, 2, 3, 3), () => L(183, 2, 2, 2, 2), () => L(184, 2));
        Add("conv2d_stride_padding", "Functional.Conv2d", t => F.Conv2d(t[0], t[1], null, stride: 2, padding: 1), () => L(185, 1, 1, 4, 4), () => L(186, 2, 1, 3, 3));
        Add("conv2d_groups_dilation", "Functional.Conv2d", t => F.Conv2d(t[0], t[1], t[2], padding: (1, 0), dilation: 2, groups: 2),
            () => L(187, 1, 2, 4, 3), () => L(188, 2, 1, 2, 2), () => L(189, 2));
        // Under a graph Conv2dAddRelu is Conv2d, + and ReLU (its fused epilogue runs only without one): the checks see those.
        Add("conv2d_add", "Functional.Conv2dAddRelu Functional.Conv2d", t => F.Conv2dAddRelu(t[0], t[1], t[2], t[3], relu: false),
            () => L(220, 1, 2, 3, 3), () => L(221, 2, 2, 2, 2), () => L(222, 2), () => L(223, 1, 2, 2, 2));
        // The residual keeps every pre-activation above ReLU's kink (|conv| ≤ 9: 9 taps of values in [-1, 1]), so the finite differences see one side.
        Add("conv2d_add_relu", "Functional.Conv2dAddRelu Functional.Conv2d", t => F.Conv2dAddRelu(t[0], t[1], null, t[2] + 12f, stride: 2, padding: 1),
            () => L(224, 1, 1, 4, 4), () => L(225, 2, 1, 3, 3), () => L(226, 1, 2, 2, 2));
        // Under a graph Conv2dPairAddRelu is two Conv2dAddRelu calls. Both ReLUs see values on both sides of the kink; with these
        // seeds the first ReLU's inputs stay 3·eps from it (9 of 18 negative) and the second's 29·eps (15 of 18), further than one
        // perturbation of eps can move them (weights and inputs in [-1, 1]), so the finite differences never straddle it.
        Add("conv2d_pair_add_relu", "Functional.Conv2dPairAddRelu Functional.Conv2dAddRelu Functional.Conv2d",
            t => F.Conv2dPairAddRelu(t[0], t[1], t[2], t[3], t[4], 1, 1),
            () => L(232, 1, 2, 3, 3), () => L(233, 2, 2, 3, 3), () => L(234, 2), () => L(235, 2, 2, 3, 3), () => L(236, 2));
        // Two blocks: Conv2dBlocksAddRelu under a graph is the blocks' Conv2dAddRelu calls (the same seeds' values for the first).
        Add("conv2d_blocks_add_relu", "Functional.Conv2dBlocksAddRelu Functional.Conv2dAddRelu Functional.Conv2d",
            t => F.Conv2dBlocksAddRelu(t[0], [(t[1], t[2], t[3], t[4]), (t[3] * 0.5f, null, t[1] * 0.5f, t[2])], 1, 1),
            () => L(232, 1, 2, 3, 3), () => L(233, 2, 2, 3, 3), () => L(234, 2), () => L(235, 2, 2, 3, 3), () => L(236, 2));
        Add("conv_transpose2d", "Functional.ConvTranspose2d", t => F.ConvTranspose2d(t[0], t[1], t[2]), () => L(190, 1, 2, 2, 2), () => L(191, 2, 1, 2, 2), () => L(192, 1));
        Add("conv_transpose2d_stride_groups", "Functional.ConvTranspose2d",
            t => F.ConvTranspose2d(t[0], t[1], null, stride: 2, padding: 1, outputPadding: 1, groups: 2), () => L(193, 1, 2, 2, 2), () => L(194, 2, 1, 3, 3));
        Add("max_pool2d", "Functional.MaxPool2d", t => F.MaxPool2d(t[0], 2, stride: 1), () => Distinct(195, 1, 1, 3, 3));
        Add("max_pool2d_padding_ceil", "Functional.MaxPool2d", t => F.MaxPool2d(t[0], 2, stride: 2, padding: 1, ceilMode: true), () => Distinct(196, 1, 2, 3, 3));
        Add("max_pool2d_with_indices", "Functional.MaxPool2dWithIndices Functional.MaxPool2d", t => F.MaxPool2dWithIndices(t[0], 2).Output, () => Distinct(197, 1, 1, 4, 4));
        Add("avg_pool2d", "Functional.AvgPool2d", t => F.AvgPool2d(t[0], 2, stride: 1), () => L(198, 1, 1, 3, 3));
        Add("avg_pool2d_options", "Functional.AvgPool2d", t => F.AvgPool2d(t[0], 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false), () => L(199, 1, 2, 3, 3));
        Add("avg_pool2d_divisor", "Functional.AvgPool2d", t => F.AvgPool2d(t[0], 2, padding: 1, divisorOverride: 3), () => L(200, 1, 1, 3, 3));
        Add("adaptive_avg_pool2d", "Functional.AdaptiveAvgPool2d", t => F.AdaptiveAvgPool2d(t[0], (2, 2)), () => L(201, 1, 2, 3, 3));
        Add("batch_norm_train", "Functional.BatchNorm", t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), () => L(202, 3, 2, 2), () => P(203, 2), () => L(204, 2));
        Add("batch_norm_eval", "Functional.BatchNorm",
            t => F.BatchNorm(t[0], Tensor.FromArray([0.1f, -0.2f]), Tensor.FromArray([0.8f, 1.5f]), t[1], t[2], training: false),
            () => L(205, 3, 2), () => P(206, 2), () => L(207, 2));
        // With these seeds every ReLU input stays 3.7·eps (first) and 37·eps (second) from the kink, further than one
        // perturbation of eps moves it (scale ≤ 1.45 here; ≤ 2.2 with γ in [0.5, 2]); both sides occur (11 of 24, 6 of 12 negative).
        Add("batch_norm_relu_eval", "Functional.BatchNormRelu",
            t => F.BatchNormRelu(t[0], Tensor.FromArray([0.1f, -0.2f]), Tensor.FromArray([0.8f, 1.5f]), Tensor.FromArray([1.3f, -0.7f]), Tensor.FromArray([0.2f, 0.1f])),
            () => L(237, 3, 2, 2, 2));
        Add("batch_norm_relu_eval_affine", "Functional.BatchNormRelu",
            t => F.BatchNormRelu(t[0], Tensor.FromArray([0.1f, -0.2f]), Tensor.FromArray([0.8f, 1.5f]), t[1], t[2]),
            () => L(253, 3, 2, 2), () => P(254, 2), () => L(255, 2));
        Add("layer_norm", "Functional.LayerNorm", t => F.LayerNorm(t[0], [3], t[1], t[2]), () => L(208, 2, 3), () => P(209, 3), () => L(210, 3));
        Add("layer_norm_2d_no_affine", "Functional.LayerNorm", t => F.LayerNorm(t[0], [2, 2]), () => L(211, 2, 2, 2));
        Add("dropout_eval", "Functional.Dropout", t => F.Dropout(t[0], 0.4f, training: false), () => L(212, 2, 3));
        Add("dropout_train_fixed_mask", "Functional.Dropout", t => F.Dropout(t[0], 0.4f, true, new Generator(7)), () => L(213, 2, 3));
        Add("embedding", "Functional.Embedding", t => F.Embedding(Idx([2, 2], 1, 3, 1, 0), t[0]), () => L(214, 4, 2));
        // paddingIdx rows get no gradient by definition (PyTorch too): mask their outputs so the loss agrees.
        Add("embedding_padding_idx", "Functional.Embedding", t => F.Embedding(Idx([3], 1, 3, 0), t[0], paddingIdx: 1) * Tensor.FromArray([0f, 1, 1], 3, 1), () => L(215, 4, 2));
        Add("cosine_similarity", "Functional.CosineSimilarity", t => F.CosineSimilarity(t[0], t[1]), () => L(216, 2, 3), () => L(217, 2, 3));
        Add("normalize", "Functional.Normalize", t => F.Normalize(t[0]), () => L(218, 2, 3));
        Add("normalize_p1", "Functional.Normalize", t => F.Normalize(t[0], p: 1f, dim: 0), () => Kinked(219, [0f], 2, 3));
        Add("pairwise_distance", "Functional.PairwiseDistance", t => F.PairwiseDistance(t[0], t[1]), () => L(220, 2, 3), () => L(221, 2, 3));

        // ── losses ──
        var t3 = Idx([3], 0, 2, 1);
        var cw = Tensor.FromArray([0.5f, 2f, 1f]);
        Add("cross_entropy", "Functional.CrossEntropy", t => F.CrossEntropy(t[0], t3), () => L(230, 3, 3));
        Add("cross_entropy_sum", "Functional.CrossEntropy", t => F.CrossEntropy(t[0], t3, reduction: "sum"), () => L(231, 3, 3));
        Add("cross_entropy_none", "Functional.CrossEntropy", t => F.CrossEntropy(t[0], t3, reduction: "none"), () => L(232, 3, 3));
        Add("cross_entropy_weight_smooth_ignore", "Functional.CrossEntropy",
            t => F.CrossEntropy(t[0], Idx([3], 0, -100, 2), cw, labelSmoothing: 0.2f), () => L(233, 3, 3));
        Add("cross_entropy_spatial", "Functional.CrossEntropy", t => F.CrossEntropy(t[0], Idx([1, 2, 2], 0, 2, 1, 1), cw, labelSmoothing: 0.1f), () => L(234, 1, 3, 2, 2));
        Add("nll", "Functional.NllLoss", t => F.NllLoss(t[0], t3), () => L(235, 3, 3));
        Add("nll_weight_ignore", "Functional.NllLoss", t => F.NllLoss(t[0], Idx([3], 0, -100, 2), cw), () => L(236, 3, 3));
        Add("nll_none", "Functional.NllLoss", t => F.NllLoss(t[0], t3, reduction: "none"), () => L(237, 3, 3));
        Add("mse", "Functional.MseLoss", t => F.MseLoss(t[0], t[1]), () => L(238, 2, 3), () => L(239, 2, 3));
        Add("mse_none", "Functional.MseLoss", t => F.MseLoss(t[0], t[1], "none"), () => L(240, 2, 3), () => L(241, 2, 3));
        // |x − y| must avoid 0 (L1) and β (smooth L1): y is fixed at 0 and x avoids the kinks.
        Add("l1", "Functional.L1Loss", t => F.L1Loss(t[0], t[1] * 0.1f), () => Kinked(242, [0f], 2, 3), () => L(243, 2, 3).Detach().Zero_().RequiresGrad_());
        Add("l1_sum", "Functional.L1Loss", t => F.L1Loss(t[0], Tensor.Zeros(2, 3), "sum"), () => Kinked(244, [0f], 2, 3));
        Add("smooth_l1", "Functional.SmoothL1Loss", t => F.SmoothL1Loss(t[0], t[1] * 0.1f, "mean", beta: 0.5f),
            () => Kinked(245, [-0.5f, 0f, 0.5f], 2, 3), () => L(246, 2, 3).Detach().Zero_().RequiresGrad_());
        Add("smooth_l1_none", "Functional.SmoothL1Loss", t => F.SmoothL1Loss(t[0], Tensor.Zeros(2, 3), "none", beta: 0.5f), () => Kinked(247, [-0.5f, 0f, 0.5f], 2, 3));
        Add("bce_with_logits", "Functional.BinaryCrossEntropyWithLogits", t => F.BinaryCrossEntropyWithLogits(t[0], t[1]), () => U(248, -2f, 2f, 2, 3), () => U(249, 0.1f, 0.9f, 2, 3));
        Add("bce_with_logits_weights", "Functional.BinaryCrossEntropyWithLogits",
            t => F.BinaryCrossEntropyWithLogits(t[0], t[1], Tensor.FromArray([0.5f, 2f, 1f]), Tensor.FromArray([1.5f, 0.5f, 3f]), "none"),
            () => U(250, -2f, 2f, 2, 3), () => U(251, 0.1f, 0.9f, 2, 3));
        Add("bce", "Functional.BinaryCrossEntropy", t => F.BinaryCrossEntropy(t[0], t[1]), () => U(252, 0.2f, 0.8f, 2, 3), () => U(253, 0.1f, 0.9f, 2, 3));
        Add("bce_weight_none", "Functional.BinaryCrossEntropy", t => F.BinaryCrossEntropy(t[0], t[1], Tensor.FromArray([0.5f, 2f, 1f]), "none"),
            () => U(254, 0.2f, 0.8f, 2, 3), () => U(255, 0.1f, 0.9f, 2, 3));
        Add("kl_div", "Functional.KlDiv", t => F.KlDiv(t[0], t[1], "batchmean"), () => U(256, -2f, -0.5f, 2, 3), () => U(257, 0.1f, 0.9f, 2, 3));
        Add("kl_div_log_target", "Functional.KlDiv", t => F.KlDiv(t[0], t[1], "sum", logTarget: true), () => U(258, -2f, -0.5f, 2, 3), () => U(259, -2f, -0.5f, 2, 3));

        // ── recurrent cells and layers (inputs, states and every parameter) ──
        AddModule("lstm_cell", "LstmCell", () =>
        {
            var m = new LstmCell(2, 2, generator: new Generator(300));
            return ([L(301, 2, 2), L(302, 2, 2), L(303, 2, 2), .. m.Parameters()], t => { var (h, c) = m.Forward(t[0], (t[1], t[2])); return Flat(h, c); });
        });
        AddModule("gru_cell", "GruCell", () =>
        {
            var m = new GruCell(2, 2, generator: new Generator(304));
            return ([L(305, 2, 2), L(306, 2, 2), .. m.Parameters()], t => m.Forward(t[0], t[1]));
        });
        AddModule("rnn_cell_tanh", "RnnCell", () =>
        {
            var m = new RnnCell(2, 2, generator: new Generator(307));
            return ([L(308, 2, 2), L(309, 2, 2), .. m.Parameters()], t => m.Forward(t[0], t[1]));
        });
        AddModule("rnn_cell_relu", "RnnCell", () =>
        {
            // Positive weights and inputs keep every pre-activation well above ReLU's kink.
            var m = new RnnCell(2, 2, nonlinearity: "relu", generator: new Generator(310));
            using (Torch.NoGrad()) foreach (var p in m.Parameters()) p.CopyFrom(p.Abs() + 0.1f);
            return ([P(311, 2, 2), P(312, 2, 2), .. m.Parameters()], t => m.Forward(t[0], t[1]));
        });
        AddModule("lstm", "Lstm", () =>
        {
            var m = new Lstm(2, 2, generator: new Generator(313));
            return ([L(314, 2, 1, 2), L(315, 1, 1, 2), L(316, 1, 1, 2), .. m.Parameters()], t => { var (y, h, c) = m.Forward(t[0], (t[1], t[2])); return Flat(y, h, c); });
        });
        AddModule("lstm_bidirectional_2layer", "Lstm", () =>
        {
            var m = new Lstm(1, 1, numLayers: 2, bidirectional: true, generator: new Generator(317));
            return ([L(318, 2, 1, 1), .. m.Parameters()], t => { var (y, h, c) = m.Forward(t[0]); return Flat(y, h, c); });
        });
        AddModule("gru", "Gru", () =>
        {
            var m = new Gru(2, 2, generator: new Generator(319));
            return ([L(320, 2, 1, 2), L(321, 1, 1, 2), .. m.Parameters()], t => { var (y, h) = m.Forward(t[0], t[1]); return Flat(y, h); });
        });
        AddModule("rnn", "Rnn", () =>
        {
            var m = new Rnn(2, 2, batchFirst: true, generator: new Generator(322));
            return ([L(323, 1, 2, 2), L(324, 1, 1, 2), .. m.Parameters()], t => { var (y, h) = m.Forward(t[0], t[1]); return Flat(y, h); });
        });
        return d;
    }
}
