using ResearchKit.Tests.Runs;

/// <summary>
/// Entry point of the run-store stress child process. The test assembly is an executable whose generated Main does
/// nothing; started with <c>DOTNET_STARTUP_HOOKS=&lt;this assembly&gt;</c> and the variables below, the runtime calls
/// <see cref="Initialize"/> first, which runs one writer's workload and exits. Without the variables it does nothing.
/// (The runtime requires this exact type name in the global namespace.)
/// </summary>
internal static class StartupHook
{
    /// <summary>Runs directory the worker writes to.</summary>
    internal const string DirVariable = "RK_RUNSTORE_STRESS_DIR";

    /// <summary>File the parent creates in the runs directory to start all workers at once.</summary>
    internal const string GoFileName = "go";

    /// <summary>Worker number (selects its configs).</summary>
    internal const string WorkerVariable = "RK_RUNSTORE_STRESS_WORKER";

    public static void Initialize()
    {
        string? dir = Environment.GetEnvironmentVariable(DirVariable);
        string? worker = Environment.GetEnvironmentVariable(WorkerVariable);
        if (dir is null || worker is null) return;
        try
        {
            // Start together with the other writers: report ready, wait for the parent's go file.
            Console.Out.WriteLine("ready");
            Console.Out.Flush();
            string go = Path.Combine(dir, GoFileName);
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(go))
            {
                if (wait.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"no go file '{go}' within 60 s");
                Thread.Sleep(1);
            }
            long t0 = DateTime.UtcNow.Ticks;
            RunStoreConcurrencyTests.RunWorkload(dir, int.Parse(worker, System.Globalization.CultureInfo.InvariantCulture));
            Console.Out.WriteLine($"stress worker done {t0} {DateTime.UtcNow.Ticks}");
            Console.Out.Flush();
            Environment.Exit(0);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex);
            Environment.Exit(3);
        }
    }
}
