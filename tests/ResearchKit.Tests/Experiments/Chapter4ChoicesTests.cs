using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter4;
using ResearchKit.Models;
using ResearchKit.Pruning;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments;

/// <summary>The chapter-4 choices the thesis leaves open are settings of the ticket recipes: recorded, applied, validated.</summary>
public class Chapter4ChoicesTests
{
    private static readonly RecipeOptions Opts = new() { Progress = SilentProgressSink.Instance };

    [Fact]
    public void EveryChoice_IsInTheRunConfig_SoAChangedChoiceNeverReusesAStoredRun()
    {
        var baseline = RunConfig.From(new WikiText2TicketsRecipe().Config(Preset.Paper, Opts)).Hash;
        TicketProtocolChoices[] variants =
        [
            new() { Masking = MaskEnforcement.WeightsAfterStep },
            new() { OptimizerState = RoundOptimizerState.Carried },
            new() { Rewind = RewindSchedule.ResumeAtSaveStep },
        ];
        var hashes = variants.Select(c => RunConfig.From(new WikiText2TicketsRecipe(c).Config(Preset.Paper, Opts)).Hash).Prepend(baseline).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
        var seq = (Dictionary<string, object?>)new SeqMnistTicketsRecipe(choices: variants[1]).Config(Preset.Paper, Opts)["choices"]!;
        Assert.Equal("Carried", seq["optimizer_state"]);
        Assert.Equal("constant", seq["lr_schedule"]); // §4.5.3: RMSprop without a schedule, whatever Rewind says
        Assert.Contains("Fresh or Carried", Assert.Throws<ArgumentException>(() => new WikiText2TicketsRecipe(new() { OptimizerState = (RoundOptimizerState)9 })).Message);
    }

    [Fact]
    public void ResumeAtSaveStep_ResumesTheDenseCosineAtTSave_OnlyInRewoundRounds()
    {
        var p = new WikiText2TicketsRecipe(new() { Rewind = RewindSchedule.ResumeAtSaveStep }).Protocol(Preset.Paper);
        var wt1830 = p.Column("WT_1830");
        var round1 = p.RoundTraining(wt1830, 1, 0);
        Assert.Equal((183_000L, 1_830L, 181_170L), (round1.ScheduleSteps!.Value, round1.ScheduleStart, round1.MaxSteps!.Value));
        Assert.Null(p.RoundTraining(wt1830, 0, 0).ScheduleSteps);          // the dense round is one whole cosine
        Assert.Null(p.RoundTraining(p.Column("IMP"), 1, 0).ScheduleSteps); // T steps from the start of the cosine either way
        var restart = new WikiText2TicketsRecipe().Protocol(Preset.Paper).RoundTraining(wt1830, 1, 0);
        Assert.Equal((null, 0L), (restart.ScheduleSteps, restart.ScheduleStart));
    }

    [Theory]
    [InlineData(null, 0)]   // restart: the cosine spans the run's 4 steps and ends at 0
    [InlineData(12L, 5)]    // resume at step 5 of 12: after 4 steps the lr is the cosine's at step 9
    public void TrainRound_FollowsTheCosineFromScheduleStart(long? scheduleSteps, long start)
    {
        var corpus = WikiText2LstmRecipe.LoadData(Preset.Smoke);
        var model = new MediumLstmLm(corpus.Vocab.Count, 8, 8, 1, 0, new Generator(1), new Generator(2));
        Adam? adam = null;
        var settings = new LmTraining { Epochs = null, MaxSteps = 4, BatchSize = 2, Bptt = 5, EvalTokens = 50, EvalEachEpoch = false, CheckpointEvery = 0, ScheduleSteps = scheduleSteps, ScheduleStart = start };
        WikiText2LstmRecipe.TrainRound(model, corpus, settings, optimizer: ps => adam = new Adam(ps, lr: 1e-3));
        long length = scheduleSteps ?? 4;
        double expected = 1e-3 * (1 + Math.Cos(Math.PI * (start + 4) / length)) / 2;
        Assert.Equal(expected, adam!.ParamGroups[0].Lr, 12);

        var outside = settings with { ScheduleSteps = 4, ScheduleStart = 4 };
        Assert.Contains("ScheduleStart", Assert.Throws<ArgumentException>(() => WikiText2LstmRecipe.TrainRound(model, corpus, outside)).Message);
    }

    [Theory]
    [InlineData("seqmnist-lstm-tickets")]
    [InlineData("wikitext2-lstm-tickets")]
    public void CarriedOptimizerState_RunsThroughTheRecipe_AndChangesTheResult(string name)
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var carried = new TicketProtocolChoices { OptimizerState = RoundOptimizerState.Carried };
        (IRecipe fresh, IRecipe kept, TicketColumn column, string score) = name.StartsWith("seq", StringComparison.Ordinal)
            ? (new SeqMnistTicketsRecipe(), new SeqMnistTicketsRecipe(choices: carried), new SeqMnistTicketsRecipe().Protocol(Preset.Smoke).Column("WT"), "loss")
            : ((IRecipe)new WikiText2TicketsRecipe(), (IRecipe)new WikiText2TicketsRecipe(carried), new WikiText2TicketsRecipe().Protocol(Preset.Smoke).Column("WT"), "test_ppl");
        RunResult Run(IRecipe r) => r switch
        {
            SeqMnistTicketsRecipe s => s.RunColumn(store, Preset.Smoke, Opts, column),
            WikiText2TicketsRecipe w => w.RunColumn(store, Preset.Smoke, Opts, column),
            _ => throw new InvalidOperationException(name),
        };
        var a = Run(fresh).Series(score).Select(p => p.Value).ToArray();
        var b = Run(kept).Series(score).Select(p => p.Value).ToArray();
        Assert.Equal(a[0], b[0]);   // the same dense round
        Assert.NotEqual(a[1], b[1]); // the first retraining starts from round 0's moments
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "tickets"), "round-01.safetensors", SearchOption.AllDirectories),
            f => ResearchKit.Tensors.Serialization.SafeTensors.Load(f).Keys.Any(k => k.StartsWith("optim.", StringComparison.Ordinal)));
    }
}
