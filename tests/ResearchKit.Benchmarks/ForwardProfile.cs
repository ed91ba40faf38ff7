using System.Diagnostics;
using ResearchKit.Models;
using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Where an inference step's time goes: ResNet-20 (b=256, eval, NoGrad; plain, with batch norms folded, and fused) timed per module
/// type through forward hooks, with what no leaf module accounts for (residual adds, shortcuts, the pooling mean) as the
/// block's own time, and each residual block's time. A developer aid behind the side-by-side table's inference rows; it has no PyTorch column.
/// </summary>
internal static class ForwardProfile
{
    /// <summary>Runs the profile at each thread count of <c>RK_PROFILE_THREADS</c> (default 2) and writes one table per model.</summary>
    public static void Run(TextWriter o)
    {
        string threadsEnv = Environment.GetEnvironmentVariable("RK_PROFILE_THREADS") ?? "2";
        int saved = Parallelism.Threads;
        try
        {
            foreach (string t in threadsEnv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Parallelism.Threads = int.Parse(t, System.Globalization.CultureInfo.InvariantCulture);
                foreach (int how in new[] { 0, 1, 2, 3, 4, 5 }) Profile(o, how);
            }
        }
        finally { Parallelism.Threads = saved; }
    }

    // how: 0 plain, 1 batch norms folded, 2 conv + bn + relu (and the residual add) fused, 3 and 4 the integer export at W8/A8 and
    // binary/A2 (as the int benchmark builds them), 5 the W8/A8 one through Int8ResNetPipeline (its stages are the pipeline's own time).
    private static void Profile(TextWriter o, int how)
    {
        const int batch = 256, warmup = 5, steps = 10;
        var gen = new Generator(0);
        Module<Tensor, Tensor> model = new ResNetCifar(20, generator: gen);
        model.Eval();
        if (how == 1) Fusion.FoldBatchNorms(model, ((ResNetCifar)model).ConvBnPairs());
        if (how == 2) Fusion.FuseConvBnRelu(model, ((ResNetCifar)model).InferenceFusions());
        var x = Tensor.Randn([batch, 3, 32, 32], gen);
        if (how >= 3) model = IntBench.IntegerModel(how == 4 ? IntBench.BinaryA2 : IntBench.W8A8, x);
        if (how == 5) model = Int8ResNetPipeline.Create((ResNetCifar)model);

        // Inclusive time per module; a container's exclusive time is its inclusive time less its children's.
        var inclusive = new Dictionary<Module, double>();
        var started = new Dictionary<Module, long>();
        bool recording = false;
        // In the fused model a block's two convolutions run together (FusedConv2d.ForwardBlock), which a hook on either would
        // turn off: they are left unhooked, so their time is the block's own.
        var blockConvs = how == 2
            ? model.Modules().OfType<BasicBlock>().SelectMany(b => b.Children()).OfType<FusedConv2d>().ToHashSet()
            : [];
        foreach (var m in model.Modules())
        {
            if (m is not Module<Tensor, Tensor> tm || blockConvs.Contains(m)) continue;
            tm.RegisterForwardPreHook((mod, _) => { if (recording) started[mod] = Stopwatch.GetTimestamp(); });
            tm.RegisterForwardHook((mod, _, _) =>
            {
                if (!recording) return;
                double ms = Stopwatch.GetElapsedTime(started[mod]).TotalMilliseconds;
                inclusive[mod] = inclusive.GetValueOrDefault(mod) + ms;
            });
        }
        for (int i = 0; i < warmup; i++) using (Torch.NoGrad()) model.Forward(x);
        GC.Collect(); // as the side-by-side protocol: the change of workload's one-off collection stays out of the timed steps
        recording = true;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) using (Torch.NoGrad()) model.Forward(x);
        total.Stop();

        var byType = new Dictionary<string, double>();
        foreach (var (m, ms) in inclusive)
        {
            double children = m.Children().Where(inclusive.ContainsKey).Sum(c => inclusive[c]);
            string type = m == model ? "model (mean pool)" : m.Children().Any() ? $"{m.GetType().Name} (adds, shortcut)" : m.GetType().Name;
            byType[type] = byType.GetValueOrDefault(type) + ms - children;
        }
        o.WriteLine($"ResNet-20 inference b={batch}{how switch { 1 => ", batch norms folded", 2 => ", conv+bn+relu(+add) fused", 3 => ", integer W8/A8", 4 => ", integer binary/A2", 5 => ", Int8ResNetPipeline W8/A8", _ => "" }}, {Parallelism.Threads} threads: {total.Elapsed.TotalMilliseconds / steps:F1} ms/step (mean of {steps}), exclusive time per module type");
        foreach (var (type, ms) in byType.OrderByDescending(kv => kv.Value))
            o.WriteLine($"  {type,-28} {ms / steps,8:F1} ms  {100 * ms / total.Elapsed.TotalMilliseconds,5:F1} %");
        foreach (var (name, m) in model.NamedModules())
            if (m is BasicBlock && inclusive.TryGetValue(m, out double blockMs))
                o.WriteLine($"    {name,-18} {(blockConvs.Count > 0 ? "block, both convolutions" : "block"),-26} {blockMs / steps,6:F2} ms");
        // The integer convolutions one by one: each converts its float input to codes and its sums back to float, so the
        // time follows the activations' size (the first stage's 16 channels at 32×32) more than the multiply-accumulates.
        foreach (var m in model.Modules().OfType<IntegerConv2d>().Where(inclusive.ContainsKey))
            o.WriteLine($"    {m.Layer.Name,-18} {m.Kernel,-10} {m.Layer.WeightShape[1]}→{m.Layer.WeightShape[0]}, stride {m.Layer.Conv!.Stride.H}  {inclusive[m] / steps,6:F2} ms");
    }
}
