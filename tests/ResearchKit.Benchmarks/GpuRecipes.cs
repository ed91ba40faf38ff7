using System.Diagnostics;
using System.Globalization;
using ResearchKit.Experiments;
using ResearchKit.Gpu;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Training;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>gpu-recipes [--preset smoke|quick] [--device cuda|cuda:i|cpu-accelerator] [--only r1,r2]</c>: every recipe that runs
/// on devices (<see cref="IRecipe.RunsOnDevices"/>), trained once on the CPU and once on the device from the same seed in
/// fresh run stores, with each final metric side by side and the wall time of each run: the end-to-end check that a recipe
/// trains on a GPU as on the CPU, and what its preset costs there. Without a CUDA device it says so and stops, unless
/// <c>--device cpu-accelerator</c> asks for the (slow) CPU accelerator.
/// </summary>
internal static class GpuRecipes
{
    public static int Run(TextWriter o, IReadOnlyList<string> args)
    {
        var a = new BenchArgs("gpu-recipes", args, "--preset smoke|quick, --device NAME, --only r1,r2", "--preset", "--device", "--only");
        var preset = a.Text("--preset") is { } p ? Presets.Parse(p) : Preset.Smoke;
        string? deviceName = a.Text("--device");
        HashSet<string>? only = a.Text("--only") is { } list ? [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : null;
        if (deviceName is null)
        {
            if (GpuDevice.CudaDeviceCount() == 0)
            {
                o.WriteLine("gpu-recipes: no CUDA device here (pass --device cpu-accelerator to check the recipes on ILGPU's CPU accelerator, slowly).");
                return 0;
            }
            deviceName = "cuda:0";
        }
        var device = GpuBackend.Register(Device.Parse(deviceName)).Device;
        var recipes = Recipes.All.Where(r => r.RunsOnDevices && (only is null || only.Contains(r.Name))).ToList();
        o.WriteLine($"gpu-recipes: {recipes.Count} recipe(s) at preset {preset.Name()}, seed 0, on the CPU ({Environment.ProcessorCount} cores) and on {device}");
        o.WriteLine($"  {"recipe",-14} {"metric",-22} {"CPU",12} {device.ToString(),12} {"|diff|",10}");
        foreach (var recipe in recipes)
        {
            var cpu = Train(recipe, preset, Device.Cpu, out double cpuSeconds);
            RunResult? dev;
            double devSeconds;
            try { dev = Train(recipe, preset, device, out devSeconds); }
            catch (Exception e)
            {
                var root = e.GetBaseException();
                o.WriteLine($"  {recipe.Name,-14} FAILED on {device}: {root.GetType().Name}: {root.Message.Split('\n')[0]}");
                continue;
            }
            foreach (var (metric, value) in cpu.FinalMetrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                string d = dev.FinalMetrics.TryGetValue(metric, out double v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "-";
                string diff = dev.FinalMetrics.TryGetValue(metric, out double w) ? Math.Abs(w - value).ToString("G3", CultureInfo.InvariantCulture) : "-";
                o.WriteLine($"  {recipe.Name,-14} {metric,-22} {value.ToString("G6", CultureInfo.InvariantCulture),12} {d,12} {diff,10}");
            }
            o.WriteLine($"  {recipe.Name,-14} {"wall time (s)",-22} {cpuSeconds,12:F1} {devSeconds,12:F1}");
        }
        return 0;
    }

    // A fresh store per run: a stored result must never stand in for the training being timed.
    private static RunResult Train(IRecipe recipe, Preset preset, Device device, out double seconds)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rk-gpu-recipes-{Environment.ProcessId}-{recipe.Name}-{(device.IsCpu ? "cpu" : "dev")}");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        try
        {
            using var store = SqliteRunStore.Open(dir);
            var sw = Stopwatch.StartNew();
            var result = recipe.Run(store, preset, new RecipeOptions { Seed = 0, Device = device, Progress = SilentProgressSink.Instance });
            seconds = sw.Elapsed.TotalSeconds;
            return result;
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
