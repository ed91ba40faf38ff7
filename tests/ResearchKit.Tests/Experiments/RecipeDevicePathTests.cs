using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter4;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tests.Runs;
using Xunit;

namespace ResearchKit.Tests.Experiments;

/// <summary>A recipe without a device path never trains on the host when it is asked for another device.</summary>
public class RecipeDevicePathTests
{
    // Parsing names a device without opening it: the guard must refuse before anything touches a backend, data or the store.
    private static readonly RecipeOptions OnCuda = new() { Device = Device.Parse("cuda:0"), Progress = ResearchKit.Training.SilentProgressSink.Instance };

    public static TheoryData<string> HostOnlyRecipes()
    {
        var data = new TheoryData<string>();
        foreach (var r in Recipes.All.Where(r => !r.RunsOnDevices)) data.Add(r.Name);
        return data;
    }

    [Fact]
    public void The_registry_has_recipes_of_both_kinds()
    {
        // Otherwise the theory below would test nothing, or the notebooks' hostOptions would have nothing to hold.
        Assert.Contains(Recipes.All, r => r.RunsOnDevices);
        Assert.Contains(Recipes.All, r => !r.RunsOnDevices);
    }

    [Theory]
    [MemberData(nameof(HostOnlyRecipes))]
    public void A_host_only_recipe_refuses_another_device_and_stores_nothing(string name)
    {
        var recipe = Recipes.Get(name);
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var e = Assert.Throws<ArgumentException>(() => recipe.Run(store, Preset.Smoke, OnCuda));
        Assert.Contains($"recipe '{name}' runs on the CPU only", e.Message);
        Assert.Contains("cuda:0", e.Message);
        Assert.Contains("Device = Device.Cpu", e.Message);   // the fix
        foreach (var r in Recipes.All.Where(r => r.RunsOnDevices)) Assert.Contains(r.Name, e.Message);
        Assert.Empty(store.List());
    }

    [Fact]
    public void A_ticket_column_alone_refuses_too()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var seq = new SeqMnistTicketsRecipe();
        Assert.Throws<ArgumentException>(() => seq.RunColumn(store, Preset.Smoke, OnCuda, seq.Columns(Preset.Smoke)[0]));
        var lm = new WikiText2TicketsRecipe();
        Assert.Throws<ArgumentException>(() => lm.RunColumn(store, Preset.Smoke, OnCuda, lm.Columns(Preset.Smoke)[0]));
        Assert.Empty(store.List());
    }

    [Fact]
    public void The_cpu_passes_every_recipe_and_a_device_passes_those_with_a_device_path()
    {
        var onCpu = new RecipeOptions();
        foreach (var r in Recipes.All)
        {
            r.RequireDevicePath(onCpu);
            if (r.RunsOnDevices) r.RequireDevicePath(OnCuda);
            else Assert.Throws<ArgumentException>(() => r.RequireDevicePath(OnCuda));
        }
    }
}
