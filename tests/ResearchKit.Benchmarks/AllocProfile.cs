using System.Diagnostics.Tracing;
using System.Globalization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Memory;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>alloc --only W [--steps N] [--threads T] [--min-elements N]</c>: what a side-by-side workload's steady steps allocate, by type and heap.
/// The runtime samples one allocation per ~100 KB (its <c>GCAllocationTick</c> event), so the per-type bytes are estimates
/// with that resolution; gen-2 collections and allocated bytes are exact. It is how a step's leftover allocations (the
/// ones the caching allocator does not pool: other element types, small objects, uncached sizes) are found.
/// </summary>
internal static class AllocProfile
{
    private const string Usage = "--only WORKLOAD, --steps N (default 20), --threads T (default 2), --min-elements N (CachingAllocator.MinElements)";

    /// <summary>Runs the profile and prints the table.</summary>
    public static int Run(TextWriter output, IReadOnlyList<string> args)
    {
        var a = new BenchArgs("alloc", args, Usage, "--only", "--steps", "--threads", "--min-elements");
        string id = a.Text("--only") ?? throw new ArgumentException($"alloc: --only is required ({Usage}).");
        var workload = Workloads.All.FirstOrDefault(w => w.Id == id)
            ?? throw new ArgumentException($"alloc: unknown workload '{id}' (known: {string.Join(", ", Workloads.All.Select(w => w.Id))}).");
        int steps = a.Int("--steps") ?? 20;
        Parallelism.Threads = a.Int("--threads") ?? 2;
        if (a.Int("--min-elements") is { } min) CachingAllocator.MinElements = min;

        var step = workload.Setup();
        for (int i = 0; i < 5; i++) step();
        GC.Collect();
        using var listener = new TickListener();
        long bytes0 = GC.GetAllocatedBytesForCurrentThread(), total0 = GC.GetTotalAllocatedBytes(precise: true);
        var pool = CachingAllocator.Stats();
        int gen2 = GC.CollectionCount(2), gen1 = GC.CollectionCount(1), gen0 = GC.CollectionCount(0);
        for (int i = 0; i < steps; i++) step();
        long total = GC.GetTotalAllocatedBytes(precise: true) - total0, own = GC.GetAllocatedBytesForCurrentThread() - bytes0;
        gen2 = GC.CollectionCount(2) - gen2;
        gen1 = GC.CollectionCount(1) - gen1 - gen2;
        gen0 = GC.CollectionCount(0) - gen0 - gen1 - gen2;
        listener.Stop();
        var poolAfter = CachingAllocator.Stats();

        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"alloc {id}: {steps} steps, {Parallelism.Threads} threads; per step {total / steps / 1048576.0:F2} MiB allocated " +
            $"({own / steps / 1048576.0:F2} MiB on the stepping thread), collections gen0 {gen0 / (double)steps:F2}, gen1 {gen1 / (double)steps:F2}, gen2 {gen2 / (double)steps:F2} (each counted once, at its own generation; the caching allocator induces one gen1 per step)"));
        output.WriteLine($"caching allocator over these steps: {SideBySide.Delta(pool, poolAfter)}; full collections it ran since the start: {poolAfter.FullCollections}");
        output.WriteLine("sampled bytes per step (one sample per ~100 KB), by type and heap:");
        foreach (var ((type, heap), sampled) in listener.Bytes.OrderByDescending(kv => kv.Value).Take(25))
            output.WriteLine(string.Create(c, $"  {sampled / steps / 1048576.0,8:F2} MiB  {heap,-4} {type}"));
        return 0;
    }

    private sealed class TickListener : EventListener
    {
        private volatile bool _on = true;
        public Dictionary<(string Type, string Heap), long> Bytes { get; } = [];

        public void Stop() => _on = false;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);   // GC keyword: AllocationTick is verbose
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
            int kindAt = e.PayloadNames.IndexOf("AllocationKind"), typeAt = e.PayloadNames.IndexOf("TypeName");
            int amountAt = e.PayloadNames.IndexOf("AllocationAmount64");
            if (amountAt < 0) amountAt = e.PayloadNames.IndexOf("AllocationAmount");
            if (kindAt < 0 || typeAt < 0 || amountAt < 0) return;
            string heap = Convert.ToInt32(e.Payload![kindAt], CultureInfo.InvariantCulture) switch { 0 => "SOH", 1 => "LOH", _ => "POH" };
            var key = ((string?)e.Payload[typeAt] ?? "?", heap);
            long amount = Convert.ToInt64(e.Payload[amountAt], CultureInfo.InvariantCulture);
            lock (Bytes) Bytes[key] = Bytes.GetValueOrDefault(key) + amount;
        }
    }
}
