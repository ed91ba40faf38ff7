using ResearchKit.Experiments.Chapter4;
using ResearchKit.Runs;
using ResearchKit.Training;

namespace ResearchKit.Experiments;

/// <summary>Options shared by every recipe run.</summary>
public sealed record RecipeOptions
{
    /// <summary>Master seed (model init, dropout, data order).</summary>
    public long Seed { get; init; } = 0;
    /// <summary>Checkpoint every this many steps (0: the recipe's default).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Progress display (default: <see cref="ProgressSinks.Auto"/>).</summary>
    public IProgressSink? Progress { get; init; }
    /// <summary>Where datasets come from (default: environment variables, cache, mirror, download).</summary>
    public Data.DataOptions? Data { get; init; }
    /// <summary>Reuse a completed run recorded by another code version instead of training again (see
    /// <see cref="ExperimentRunOptions.ReuseStale"/>). Not part of the run's config.</summary>
    public bool ReuseStale { get; init; }
    /// <summary>
    /// Where the recipe trains and evaluates (the CPU by default; see <see cref="ComputeDevice.Use"/> for the names). Part of
    /// the run's config when it is not the CPU: a result computed on another device is another run. Recipes that do not run
    /// on devices yet refuse any other (<see cref="IRecipe.RunsOnDevices"/>).
    /// </summary>
    public Tensors.Device Device { get; init; } = Tensors.Device.Cpu;
    /// <summary>The runner options these recipe options imply.</summary>
    public ExperimentRunOptions RunOptions => new() { ReuseStale = ReuseStale };
}

/// <summary>A named, preset-driven experiment that records itself in a run store.</summary>
public interface IRecipe
{
    /// <summary>Command-line name, e.g. "mnist-cnn".</summary>
    string Name { get; }

    /// <summary>One-line description.</summary>
    string Description { get; }

    /// <summary>The full configuration of a run (hashed to find it again in the store).</summary>
    IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options);

    /// <summary>Whether <see cref="RecipeOptions.Device"/> may name a device other than the CPU (every op of the recipe has a
    /// device kernel and its loops move batches there).</summary>
    bool RunsOnDevices => false;

    /// <summary>Trains (or returns the stored result of an identical completed run, or resumes an interrupted one).</summary>
    RunResult Run(IRunStore store, Preset preset, RecipeOptions options);
}

/// <summary>The registry of recipes known to <c>rk train</c>.</summary>
public static class Recipes
{
    /// <summary>All recipes.</summary>
    public static IReadOnlyList<IRecipe> All { get; } = [new MnistCnn(), new SeqMnistLstmRecipe(), new SeqMnistLstmRecipe(subsampling: true), new WikiText2LstmRecipe(),
        new SeqMnistTicketsRecipe(), new SeqMnistTicketsRecipe(subsampling: true), new WikiText2TicketsRecipe(),
        new Chapter5.DlQatRecipe(), new Chapter6.EhdMemberRecipe(), new Chapter6.QuantizedRobustnessRecipe(),
        new RobustQuantization.RobustEnResNetRecipe(), new HardwareAware.AdaQatRecipe(), new HardwareAware.MinifloatSegmentationRecipe()];

    /// <summary>Recipe by name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static IRecipe Get(string name) =>
        All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown recipe '{name}'. Known recipes: {string.Join(", ", All.Select(r => r.Name))}.");
}

/// <summary>The device entry of a recipe's config, and the check that a recipe can run where it is asked to.</summary>
public static class RecipeDeviceConfig
{
    /// <summary>
    /// Refuses <paramref name="options"/>' device when it is not the CPU and <paramref name="recipe"/> has no device path
    /// (<see cref="IRecipe.RunsOnDevices"/>), so a run asked for a GPU never trains on the host without saying so.
    /// </summary>
    /// <exception cref="ArgumentException">The recipe runs on the CPU only; the message names the recipes that run on devices.</exception>
    public static void RequireDevicePath(this IRecipe recipe, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Device.IsCpu || recipe.RunsOnDevices) return;
        throw new ArgumentException($"device {options.Device}: recipe '{recipe.Name}' runs on the CPU only for now (some of its ops or loops have no device path yet); " +
            $"give it options with Device = Device.Cpu (or --device cpu). Recipes that run on devices: {string.Join(", ", Recipes.All.Where(x => x.RunsOnDevices).Select(x => x.Name))}.");
    }

    /// <summary>Adds <c>"device"</c> when <paramref name="device"/> is not the CPU, so CPU runs keep the config (and the stored
    /// results) they always had, and a run elsewhere is another run.</summary>
    public static Dictionary<string, object?> WithDevice(this Dictionary<string, object?> config, Tensors.Device device)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!device.IsCpu) config["device"] = device.ToString();
        return config;
    }
}
