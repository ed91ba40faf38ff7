using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors;

namespace ResearchKit.Benchmarks;

/// <summary>Statistics of one workload at one thread count, from either side.</summary>
/// <param name="MeanMs">Mean step time over the timed steps.</param>
/// <param name="MedianMs">Median step time.</param>
/// <param name="MinMs">Fastest step.</param>
/// <param name="Gen2PerStep">Gen-2 collections per timed step (ours only).</param>
/// <param name="AllocBytesPerStep">Managed bytes allocated per timed step (ours only).</param>
/// <param name="PeakRssKib">Peak resident set size in KiB (per workload when <paramref name="PeakPerWorkload"/>, else the process peak so far).</param>
/// <param name="PeakPerWorkload">Whether the peak mark could be reset before the workload.</param>
/// <param name="Reuse">Share of the timed steps' pooled storage served from the caching allocator's cache (ours only; null when nothing was pooled).</param>
internal sealed record StepStats(double MeanMs, double MedianMs, double MinMs, double? Gen2PerStep, double? AllocBytesPerStep,
    long? PeakRssKib, bool PeakPerWorkload, double? Reuse = null);

/// <summary>
/// The honest side-by-side table: every workload through the public API at each thread count, under the runtime's
/// default GC settings, mean (and median, min) over N timed steps after W warm-up steps, gen-2 collections and
/// allocated bytes per step and the peak RSS; the same workloads in PyTorch (<c>torch/bench.py</c>, a subprocess per
/// thread count) when Python can import torch; one table with both and the ratio.
/// </summary>
internal static class SideBySide
{
    /// <summary>Command-line options of the side-by-side run.</summary>
    internal sealed record Options(int[] Threads, int Warmup, int Steps, string[] Workloads, bool Torch, string? Python, bool PoolStats = false, int Rounds = 1,
        bool TorchRetainsMemory = true);

    /// <summary>Parses <c>--threads 2,4 --steps 20 --warmup 5 --rounds 1 --only a,b --no-torch --python PATH --pool-stats --torch-malloc retain|glibc</c>.</summary>
    /// <exception cref="ArgumentException">An option is unknown or malformed.</exception>
    public static Options Parse(IReadOnlyList<string> args)
    {
        int[] threads = [.. new[] { 2, Environment.ProcessorCount }.Distinct()];
        int warmup = 5, steps = 20, rounds = 1;
        string[] workloads = [.. Benchmarks.Workloads.All.Select(w => w.Id)];
        bool torch = true, poolStats = false, torchRetains = true;
        string? python = Environment.GetEnvironmentVariable("RK_BENCH_PYTHON");
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            static int Int(string s, string opt, int min) =>
                int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min ? v
                    : throw new ArgumentException($"{opt}: expected an integer >= {min}, got '{s}'.");
            switch (args[i])
            {
                case "--threads":
                    threads = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(s => s.Equals("N", StringComparison.OrdinalIgnoreCase) ? Environment.ProcessorCount : Int(s, "--threads", 1)).Distinct()];
                    break;
                case "--warmup": warmup = Int(Value(), "--warmup", 0); break;
                case "--steps": steps = Int(Value(), "--steps", 1); break;
                case "--rounds": rounds = Int(Value(), "--rounds", 1); break;
                case "--only":
                    workloads = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    foreach (string w in workloads)
                        if (Benchmarks.Workloads.All.All(x => x.Id != w))
                            throw new ArgumentException($"--only: unknown workload '{w}' (known: {string.Join(", ", Benchmarks.Workloads.All.Select(x => x.Id))}).");
                    break;
                case "--no-torch": torch = false; break;
                case "--python": python = Value(); break;
                case "--pool-stats": poolStats = true; break;
                case "--torch-malloc":
                    torchRetains = Value() switch
                    {
                        "retain" => true,
                        "glibc" => false,
                        var v => throw new ArgumentException($"--torch-malloc: expected 'retain' or 'glibc', got '{v}'."),
                    };
                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}'.");
            }
        }
        return new Options(threads, warmup, steps, workloads, torch, python, poolStats, rounds, torchRetains);
    }

    /// <summary>
    /// Runs each workload in ours and in PyTorch back to back (pairs seconds apart, not one whole side after the other: a
    /// shared machine's speed drifts over minutes), <see cref="Options.Rounds"/> times with the order alternating, and prints
    /// the table of each side's median round.
    /// </summary>
    public static void Run(TextWriter o, Options opt)
    {
        PrintRuntimeSettings(o);
        string loadBefore = ProcStatus.LoadAverage();
        o.WriteLine($"Protocol: per workload and thread count, untimed setup, {opt.Warmup} warm-up steps, an untimed full collection, then mean/median/min over {opt.Steps} timed steps; " +
            $"ours and PyTorch measured back to back per workload, {opt.Rounds} round(s), the order alternating between rounds.");
        var selected = Benchmarks.Workloads.All.Where(w => opt.Workloads.Contains(w.Id)).ToArray();
        string torchLine = "PyTorch: skipped (--no-torch).";
        var torchSide = opt.Torch ? TorchSide.Open(opt.Python, out torchLine, opt.TorchRetainsMemory) : null;

        var ours = new Dictionary<(string, int), List<StepStats>>();
        var torch = new Dictionary<(string, int), List<StepStats>>();
        int saved = Parallelism.Threads;
        try
        {
            for (int round = 0; round < opt.Rounds; round++)
                foreach (int t in opt.Threads)
                    foreach (var w in selected)
                    {
                        // ABBA: PyTorch first in odd rounds, so neither side always runs on a machine the other just warmed.
                        bool torchFirst = round % 2 == 1;
                        if (torchFirst) MeasureTorch(w, t);
                        Parallelism.Threads = t;
                        Console.Error.WriteLine($"  [ours] {w.Id}, {t} threads, round {round + 1}/{opt.Rounds} ...");
                        Add(ours, (w.Id, t), Measure(w, opt.Warmup, opt.Steps, opt.PoolStats));
                        if (!torchFirst) MeasureTorch(w, t);
                        // Each pair as soon as it is measured: a run stopped by a time limit still leaves its figures.
                        double o1 = ours[(w.Id, t)][^1].MeanMs;
                        string tp = torch.TryGetValue((w.Id, t), out var tl) && tl.Count > round ? $"PyTorch {tl[^1].MeanMs:F1} ms, ratio {o1 / tl[^1].MeanMs:F2}" : "PyTorch -";
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  = {w.Id}, {t} threads, round {round + 1}: ours {o1:F1} ms, {tp}"));
                    }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
        if (torchSide is not null) torchLine = torchSide.Describe();
        o.WriteLine(torchLine);
        // Timings from a shared machine are not comparable: say how loaded it was. OpenMP spin-waits (PyTorch) degrade
        // far more than blocking waits when other processes compete for the cores.
        string loadAfter = ProcStatus.LoadAverage();
        bool busy = new[] { loadBefore, loadAfter }.Any(s => double.TryParse(s, CultureInfo.InvariantCulture, out double l) && l > 0.5 * Environment.ProcessorCount);
        o.WriteLine($"Load average (1 min) at start {loadBefore}, at end {loadAfter} on {Environment.ProcessorCount} cores" +
            (busy ? " — the machine was busy: treat these figures as noisy." : "."));
        PrintTable(o, selected, opt.Threads, MedianRound(ours), MedianRound(torch));
        if (opt.Rounds > 1) PrintRoundRatios(o, selected, opt.Threads, ours, torch);

        void MeasureTorch(Workload w, int t)
        {
            if (torchSide is null || torchSide.Failed) return;
            foreach (var (key, stats) in torchSide.Measure(t, w.Id, opt.Warmup, opt.Steps)) Add(torch, key, stats);
        }
    }

    private static void Add(Dictionary<(string, int), List<StepStats>> d, (string, int) key, StepStats s)
    {
        if (!d.TryGetValue(key, out var list)) d[key] = list = [];
        list.Add(s);
    }

    // Each side's round with the median mean (the lower middle one for an even count): a real round's figures, not a blend.
    private static Dictionary<(string, int), StepStats> MedianRound(Dictionary<(string, int), List<StepStats>> rounds) =>
        rounds.ToDictionary(kv => kv.Key, kv => kv.Value.OrderBy(s => s.MeanMs).ElementAt((kv.Value.Count - 1) / 2));

    private static void PrintRoundRatios(TextWriter o, Workload[] workloads, int[] threads,
        Dictionary<(string, int), List<StepStats>> ours, Dictionary<(string, int), List<StepStats>> torch)
    {
        o.WriteLine();
        o.WriteLine("Ratio in each round (ours/PyTorch mean, pairs measured back to back): the spread is the machine's noise.");
        foreach (int t in threads)
            foreach (var w in workloads)
                if (ours.TryGetValue((w.Id, t), out var a) && torch.TryGetValue((w.Id, t), out var b))
                    o.WriteLine($"  {w.Id,-21} {t,3}: {string.Join("  ", a.Zip(b, (x, y) => (x.MeanMs / y.MeanMs).ToString("F2", CultureInfo.InvariantCulture)))}");
    }

    private static void PrintRuntimeSettings(TextWriter o)
    {
        // The figures are meant to be what a user's program sees: report the GC configuration actually in effect.
        static string Cfg(string key) => AppContext.GetData(key)?.ToString() ?? "default";
        o.WriteLine($"GC: {(GCSettings.IsServerGC ? "server" : "workstation")}, latency mode {GCSettings.LatencyMode}, " +
            $"System.GC.Concurrent={Cfg("System.GC.Concurrent")}, System.GC.RetainVM={Cfg("System.GC.RetainVM")}, " +
            $"System.Runtime.TieredPGO={Cfg("System.Runtime.TieredPGO")}");
        // Environment knobs that change GC or JIT behaviour behind the runtimeconfig's back (DOTNET_gcServer, DOTNET_GCgen0size, DOTNET_TieredPGO, ...).
        string[] knobs = ["gc", "tiered", "tc_", "readytorun", "jit", "pgo", "osr"];
        var env = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => (k.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("COMPlus_", StringComparison.OrdinalIgnoreCase))
                && knobs.Any(p => k[(k.IndexOf('_') + 1)..].StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal).ToArray();
        if (env.Length > 0) o.WriteLine($"Runtime environment overrides in effect: {string.Join(", ", env.Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}"))}");
    }

    private static StepStats Measure(Workload w, int warmup, int steps, bool poolStats)
    {
        // Between workloads only (untimed): drop the previous workload's garbage and the storage our caching allocator kept
        // for it (PyTorch's process is new per workload), compacting the large-object heap so the runtime can give the pages
        // back, so the peak mark is this workload's.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        CachingAllocator.EmptyCache();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        bool perWorkload = ProcStatus.ResetPeakRss();
        var step = w.Setup();
        for (int i = 0; i < warmup; i++) step();
        // Untimed, as BenchmarkDotNet does between iterations: the first steps of a workload allocate its working set (new
        // sizes), and the runtime answers that large-object growth with a full collection some steps later; that one-off
        // belongs to the change of workload, not to its steady state, which is what gen2/step reports.
        GC.Collect();
        var times = new double[steps];
        int gen2 = GC.CollectionCount(2);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var pool = CachingAllocator.Stats();
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            step();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        double gen2PerStep = (double)(GC.CollectionCount(2) - gen2) / steps;
        double allocPerStep = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / steps;
        var poolAfter = CachingAllocator.Stats();
        if (poolStats) Console.Error.WriteLine($"  [ours] {w.Id} allocator over the timed steps: {Delta(pool, poolAfter)}");
        long hits = poolAfter.Hits - pool.Hits, loans = hits + poolAfter.Misses - pool.Misses;
        return Summarize(times, gen2PerStep, allocPerStep, ProcStatus.PeakRssKib(), perWorkload) with { Reuse = loans == 0 ? null : (double)hits / loans };
    }

    // The allocator's counters over the timed steps: what a user diagnosing memory wants to see (misses = new arrays).
    internal static string Delta(MemoryStats a, MemoryStats b) =>
        $"hits {b.Hits - a.Hits}, misses {b.Misses - a.Misses}, uncached {b.Uncached - a.Uncached}, trimmed {b.Trimmed - a.Trimmed}, " +
        $"induced gen-1 {b.InducedCollections - a.InducedCollections}, forced full {b.FullCollections - a.FullCollections}, cached {b.CachedBytes / (1 << 20)} MiB";

    /// <summary>Mean, median and min of <paramref name="times"/> with the other per-step figures.</summary>
    public static StepStats Summarize(double[] times, double? gen2, double? alloc, long? peakKib, bool perWorkload)
    {
        var sorted = times.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new StepStats(times.Average(), median, sorted[0], gen2, alloc, peakKib, perWorkload);
    }

    private static void PrintTable(TextWriter o, Workload[] workloads, int[] threads,
        Dictionary<(string, int), StepStats> ours, Dictionary<(string, int), StepStats> torch)
    {
        o.WriteLine();
        o.WriteLine("Step times in ms (mean / median / min). ratio = ours/PyTorch mean step time = PyTorch/ours throughput: below 1 ours is faster, above 1 ours is slower.");
        o.WriteLine("gen2/step, alloc/step (managed heap) and reuse (share of pooled storage served from the caching allocator's cache) are ours; RSS = peak resident set of each side's process during the workload " +
            "(VmHWM reset before it; ours empties its caching allocator and compacts the heap first, yet still counts what the runtime kept of earlier workloads' memory; * = not resettable, process peak so far).");
        string header = $"{"workload",-21} {"thr",3} | {"ours mean",9} {"median",8} {"min",8} {"throughput",16} {"gen2/step",9} {"alloc/step",10} {"reuse",6} {"RSS",7} | " +
            $"{"torch mean",10} {"median",8} {"min",8} {"throughput",16} {"RSS",7} | {"ratio",6}";
        o.WriteLine(header);
        o.WriteLine(new string('-', header.Length));
        foreach (int t in threads)
            foreach (var w in workloads)
            {
                var a = ours[(w.Id, t)];
                string left = $"{w.Id,-21} {t,3} | {a.MeanMs,9:F1} {a.MedianMs,8:F1} {a.MinMs,8:F1} {Throughput(w, a),16} {a.Gen2PerStep,9:F2} {Bytes(a.AllocBytesPerStep),10} {Percent(a.Reuse),6} {Rss(a),7} | ";
                if (torch.TryGetValue((w.Id, t), out var b))
                    o.WriteLine(left + $"{b.MeanMs,10:F1} {b.MedianMs,8:F1} {b.MinMs,8:F1} {Throughput(w, b),16} {Rss(b),7} | {a.MeanMs / b.MeanMs,6:F2}");
                else
                    o.WriteLine(left + $"{"-",10} {"-",8} {"-",8} {"-",16} {"-",7} | {"-",6}");
            }
        PrintQuantizedCost(o, threads, ours, torch);
        PrintAttackCost(o, threads, ours, torch);
        o.WriteLine();
        foreach (var w in workloads) o.WriteLine($"  {w.Id,-21} {w.Description}");
    }

    /// <summary>The cost of fake-quantized training relative to float training (chapter 5 asks at most 1.3×), per side.</summary>
    private static void PrintQuantizedCost(TextWriter o, int[] threads, Dictionary<(string, int), StepStats> ours, Dictionary<(string, int), StepStats> torch)
    {
        const string Float = "resnet20-train", Quantized = "resnet20-qat-train";
        foreach (int t in threads)
        {
            if (!ours.TryGetValue((Float, t), out var f) || !ours.TryGetValue((Quantized, t), out var q)) continue;
            string theirs = torch.TryGetValue((Float, t), out var tf) && torch.TryGetValue((Quantized, t), out var tq)
                ? string.Create(CultureInfo.InvariantCulture, $"{tq.MeanMs / tf.MeanMs:F2}×") : "-";
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Quantized/float training step ({Quantized} / {Float} mean, {t} threads): ours {q.MeanMs / f.MeanMs:F2}× ({q.MeanMs:F1} / {f.MeanMs:F1} ms), PyTorch {theirs}; the bound is 1.3×."));
        }
    }

    /// <summary>The cost of one PGD step relative to one training step on the same network and batch (target at most 0.75), per side.</summary>
    private static void PrintAttackCost(TextWriter o, int[] threads, Dictionary<(string, int), StepStats> ours, Dictionary<(string, int), StepStats> torch)
    {
        const string Train = "resnet20-train", Pgd = "resnet20-pgd-step";
        foreach (int t in threads)
        {
            if (!ours.TryGetValue((Train, t), out var f) || !ours.TryGetValue((Pgd, t), out var p)) continue;
            string theirs = torch.TryGetValue((Train, t), out var tf) && torch.TryGetValue((Pgd, t), out var tp)
                ? string.Create(CultureInfo.InvariantCulture, $"{tp.MeanMs / tf.MeanMs:F2}×") : "-";
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"PGD/train step ({Pgd} / {Train} mean, {t} threads): ours {p.MeanMs / f.MeanMs:F2}× ({p.MeanMs:F1} / {f.MeanMs:F1} ms), PyTorch {theirs}; the target is ≤ 0.75×."));
        }
    }

    private static string Throughput(Workload w, StepStats s) =>
        string.Create(CultureInfo.InvariantCulture, $"{w.WorkPerStep / (s.MeanMs / 1000):N1} {w.Unit}");

    private static string Bytes(double? b) => b switch
    {
        null => "-",
        >= 1 << 30 => string.Create(CultureInfo.InvariantCulture, $"{b / (1 << 30):F2} GiB"),
        >= 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{b / (1 << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{b / 1024:F0} KiB"),
    };

    private static string Percent(double? share) => share is double v ? string.Create(CultureInfo.InvariantCulture, $"{v * 100:F0}%") : "-";

    private static string Rss(StepStats s) => s.PeakRssKib is long k
        ? string.Create(CultureInfo.InvariantCulture, $"{k / 1024}M{(s.PeakPerWorkload ? "" : "*")}")
        : "-";
}

/// <summary>Peak resident set size from <c>/proc/self/status</c> (Linux; null elsewhere).</summary>
internal static class ProcStatus
{
    /// <summary>VmHWM in KiB, or null when <c>/proc</c> is unavailable.</summary>
    public static long? PeakRssKib()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>The 1-minute load average from <c>/proc/loadavg</c>, or "?".</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }

    /// <summary>Resets VmHWM to the current RSS (writing 5 to <c>/proc/self/clear_refs</c>), so the next read is this workload's peak.</summary>
    public static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}

/// <summary>Runs <c>torch/bench.py</c> with the same workloads, one subprocess per thread count, and parses its JSON.</summary>
internal static class TorchSide
{
    private const string InstallHint = "install it with `sudo apt-get install -y python3-torch` (Debian/Ubuntu; bash environment/install-torch.sh does, with a tuned BLAS) " +
        "or `pip install torch`, or point RK_BENCH_PYTHON / --python at a Python that has it";

    /// <summary>Finds a Python with torch (<paramref name="python"/> if given, else <c>python3</c> then <c>/usr/bin/python3</c>);
    /// null with <paramref name="line"/> saying why when there is none.</summary>
    /// <param name="python">The interpreter, or null to search.</param>
    /// <param name="line">Why there is none.</param>
    /// <param name="retainMemory">Run PyTorch with glibc malloc told to keep freed memory (<see cref="RetainingMalloc"/>).</param>
    public static Runner? Open(string? python, out string line, bool retainMemory = true)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "torch", "bench.py");
        line = "";
        if (!File.Exists(script)) { line = $"PyTorch: not run, {script} is missing from the build output."; return null; }
        // A pyenv/venv python3 first on PATH often lacks torch while Debian's /usr/bin/python3 has it: try both.
        string[] candidates = python is { } p ? [p] : [.. new[] { "python3", "/usr/bin/python3" }.Distinct()];
        string? why = null;
        foreach (string c in candidates)
        {
            var (rc, stdout, err) = Exec(c, [script, "--probe"], null);
            if (rc == 0) return new Runner(c, script, retainMemory);
            why = err ?? Error(stdout) ?? $"exit code {rc}";
        }
        line = $"PyTorch: not available ({why}); {InstallHint}. Only ResearchKit's figures are shown.";
        return null;
    }

    /// <summary>
    /// glibc settings under which freed blocks stay in the process: PyTorch's CPU allocator is plain malloc, and glibc's
    /// defaults serve large blocks with mmap and unmap them on free, so every step pays page faults to zero them again (on this
    /// kit's 2-core VM that made PyTorch's ResNet inference 3–6× slower than with these). No mmap at all, since the largest
    /// threshold glibc accepts (32 MiB) still left the seq-MNIST LSTM's sequence buffers faulting in every step; and a trim
    /// threshold no heap reaches, so the top of the heap is not given back either.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> RetainingMalloc = new Dictionary<string, string>
    {
        ["MALLOC_MMAP_MAX_"] = "0",
        ["MALLOC_TRIM_THRESHOLD_"] = "17179869184",
    };

    /// <summary>Runs <c>torch/bench.py</c>, one process per (thread count, workload), and remembers what it reported of itself.</summary>
    public sealed class Runner(string python, string script, bool retainMemory)
    {
        private string _version = "?", _blas = "?";
        private bool _referenceBlas;
        private string? _failure;

        /// <summary>True once a run failed; no more are attempted.</summary>
        public bool Failed => _failure is not null;

        /// <summary>One workload at <paramref name="threads"/> threads in a fresh process (its peak RSS is this workload's).</summary>
        public IEnumerable<((string, int) Key, StepStats Stats)> Measure(int threads, string workload, int warmup, int steps)
        {
            var args = new List<string> { script, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--workloads", workload,
                "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture) };
            // torch.set_num_threads covers ATen/OpenMP; an external BLAS (Debian's OpenBLAS) sizes its pool from these at load time.
            var env = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = $"{threads}", ["OPENBLAS_NUM_THREADS"] = $"{threads}", ["MKL_NUM_THREADS"] = $"{threads}" };
            if (retainMemory) foreach (var (k, v) in RetainingMalloc) env[k] = v;
            var (rc, stdout, err) = Exec(python, args, env);
            if (rc != 0)
            {
                _failure = $"PyTorch: {python} {script} failed on {workload} at {threads} threads ({err ?? Error(stdout) ?? $"exit code {rc}"}); the rest shows ResearchKit's figures only.";
                yield break;
            }
            using var doc = JsonDocument.Parse(stdout);
            var root = doc.RootElement;
            _version = root.GetProperty("torch").GetString() ?? "?";
            var libs = root.GetProperty("blas").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
            _blas = libs.Length == 0 ? "none found" : string.Join(", ", libs.Select(ShortLib));
            // Debian's netlib reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3) is what torch gets without OpenBLAS installed.
            _referenceBlas = libs.Any(l => l.Contains("/blas/libblas.so", StringComparison.Ordinal));
            var results = new List<((string, int), StepStats)>();
            foreach (var r in root.GetProperty("results").EnumerateArray())
                results.Add(((r.GetProperty("workload").GetString()!, r.GetProperty("threads").GetInt32()), new StepStats(
                    r.GetProperty("mean_ms").GetDouble(), r.GetProperty("median_ms").GetDouble(), r.GetProperty("min_ms").GetDouble(),
                    null, null, r.GetProperty("peak_rss_kib").GetInt64(), r.GetProperty("peak_rss_per_workload").GetBoolean())));
            foreach (var x in results) yield return x;
        }

        /// <summary>One line on the PyTorch side: version, interpreter, BLAS, or the failure.</summary>
        public string Describe()
        {
            if (_failure is not null) return _failure;
            string line = $"PyTorch {_version} via {python} (same invocation, each workload right after or before ours; torch.set_num_threads + OMP/OPENBLAS_NUM_THREADS per thread count), BLAS/oneDNN: {_blas}";
            line += Environment.NewLine + (retainMemory
                ? $"PyTorch's memory: glibc malloc keeps freed blocks ({string.Join(", ", RetainingMalloc.Select(e => $"{e.Key}={e.Value}"))}), as a jemalloc/tcmalloc setup and our caching allocator do; " +
                  "with glibc's defaults (--torch-malloc glibc) PyTorch's CPU allocator hands each step's large buffers back to the kernel and faults them in again on the next step."
                : "PyTorch's memory: glibc malloc with its defaults (--torch-malloc glibc): each step's large buffers go back to the kernel and are faulted in again; --torch-malloc retain (the default) measures PyTorch with freed memory kept.");
            if (_referenceBlas)
                line += Environment.NewLine + "WARNING: PyTorch is using the netlib reference BLAS, far slower than any tuned BLAS; its matmul/LSTM figures are not " +
                    "representative. Install OpenBLAS (`sudo apt-get install -y libopenblas0-pthread`) and re-run.";
            return line;
        }
    }

    /// <summary>The workloads in PyTorch on its first CUDA device (<c>bench.py --device cuda</c>): mean ms per workload; empty
    /// when PyTorch or its CUDA is missing (<paramref name="line"/> says why).</summary>
    public static Dictionary<string, double> RunCuda(string[] workloads, int warmup, int steps, out string line)
    {
        var means = new Dictionary<string, double>();
        string script = Path.Combine(AppContext.BaseDirectory, "torch", "bench.py");
        foreach (string python in new[] { "python3", "/usr/bin/python3" }.Distinct())
        {
            var (rc, stdout, err) = Exec(python, [script, "--device", "cuda", "--threads", "1", "--workloads", string.Join(',', workloads),
                "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture)], null);
            if (rc != 0) { line = $"PyTorch CUDA: not run with {python} ({err ?? Error(stdout) ?? $"exit code {rc}"})."; continue; }
            using var doc = JsonDocument.Parse(stdout);
            foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
                means[r.GetProperty("workload").GetString()!] = r.GetProperty("mean_ms").GetDouble();
            line = $"PyTorch {doc.RootElement.GetProperty("torch").GetString()} on CUDA via {python} (same invocation, after ours; each step synchronized)";
            return means;
        }
        line = "PyTorch CUDA: not available; " + InstallHint + ".";
        return means;
    }

    // Keep the parent folder: Debian's openblas-openmp / openblas-pthread / blas (netlib) builds share file names.
    private static string ShortLib(string path) => Path.Combine(Path.GetFileName(Path.GetDirectoryName(path)) ?? "", Path.GetFileName(path));

    private static string? Error(string stdout)
    {
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            return doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    private static (int ExitCode, string Stdout, string? Error) Exec(string file, IEnumerable<string> args, Dictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        try
        {
            using var proc = Process.Start(psi)!;
            string stdout = proc.StandardOutput.ReadToEnd(); // progress lines go to our stderr directly
            proc.WaitForExit();
            return (proc.ExitCode, stdout, null);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"cannot start {file}: {e.Message}");
        }
    }
}
