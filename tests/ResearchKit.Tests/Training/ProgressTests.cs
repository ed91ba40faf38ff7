using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using Spectre.Console;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Training;

/// <summary>Console.Out is process-wide: tests that redirect it run in this collection, one at a time.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection { }

[Collection("Console")]
public class ProgressTests
{
    private sealed class FakeTime : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan t) => _ticks += t.Ticks;
    }

    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public void Plain_WritesEveryNSteps_WithRateEtaLossAccuracy()
    {
        var time = new FakeTime();
        var w = new StringWriter();
        var sink = new PlainProgressSink(w, everySteps: 25, every: TimeSpan.FromHours(1), time: time);
        sink.Start("mnist", 100, 0);
        for (int s = 1; s <= 100; s++)
        {
            time.Advance(TimeSpan.FromSeconds(0.1));
            sink.Step(new ProgressUpdate(s, 100, s / 40, 0.5, 0.5, 1e-3));
        }
        sink.Evaluated(100, new Dictionary<string, double> { ["accuracy"] = 0.9875 });
        sink.Message("early stop");
        sink.Finish(100);
        var lines = Lines(w);
        Assert.Equal(8, lines.Length);
        Assert.Equal("mnist: 100 steps", lines[0]);
        Assert.Equal("mnist step 50/100 (50.0%) · epoch 1 · 10.0 it/s · ETA 0:05 · loss 0.5000 · acc 50.0% · lr 0.001", lines[2]);
        Assert.StartsWith("mnist step 100/100 (100.0%)", lines[4]);
        Assert.Contains("ETA 0:00", lines[4]);
        Assert.Equal("mnist eval @ step 100: accuracy=0.9875", lines[5]);
        Assert.Equal("mnist: early stop", lines[6]);
        Assert.Equal("mnist: done at step 100/100, 100 steps in 10.0 s (10.0 it/s)", lines[7]);
    }

    [Fact]
    public void Plain_WritesEveryNSeconds_AndCountsRateFromResume()
    {
        var time = new FakeTime();
        var w = new StringWriter();
        var sink = new PlainProgressSink(w, everySteps: 1000, every: TimeSpan.FromSeconds(2), time: time);
        sink.Start("run", 1000, 40);
        for (int s = 41; s <= 60; s++)
        {
            time.Advance(TimeSpan.FromSeconds(0.5));
            sink.Step(new ProgressUpdate(s, 1000, 0, 1.0, null, 0.1));
        }
        var lines = Lines(w);
        Assert.Equal("run: resuming at step 40 of 1000", lines[0]);
        Assert.Equal(6, lines.Length); // steps 44, 48, 52, 56, 60
        Assert.StartsWith("run step 44/1000", lines[1]);
        Assert.Contains("2.0 it/s", lines[1]); // 4 steps in 2 s: resumed steps do not count
        Assert.DoesNotContain("acc", lines[1]);
    }

    [Fact]
    public void Trainer_DrivesPlainSink_AndSilentSinkWritesNothing()
    {
        var task = new SyntheticTask(64, seed: 1);
        var w = new StringWriter();
        Run(task, new PlainProgressSink(w, everySteps: 4));
        var lines = Lines(w);
        Assert.Equal("fit: 8 steps", lines[0]);
        Assert.StartsWith("fit step 4/8 (50.0%) · epoch 0", lines[1]);
        Assert.StartsWith("fit step 8/8 (100.0%) · epoch 1", lines[2]);
        Assert.StartsWith("fit eval @ step 8: loss=", lines[3]);
        Assert.StartsWith("fit: done at step 8/8, 8 steps in", lines[4]);
        Assert.Equal(5, lines.Length);

        var console = new StringWriter();
        var old = Console.Out;
        Console.SetOut(console);
        try { Run(task, SilentProgressSink.Instance); Run(task, null); }
        finally { Console.SetOut(old); }
        Assert.Equal("", console.ToString());
    }

    [Fact]
    public void Spectre_RendersOnNonInteractiveConsole_AndFinishes()
    {
        var w = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(w),
        });
        var sink = new SpectreProgressSink(console);
        Run(new SyntheticTask(64, seed: 1), sink);
        string text = w.ToString();
        Assert.Contains("fit eval @ step 8: loss=", text);
        Assert.Contains("fit: done at step 8/8, 8 steps in", text);
    }

    [Fact]
    public void Auto_HonoursEnvironmentOverride()
    {
        var old = Environment.GetEnvironmentVariable("RESEARCHKIT_PROGRESS");
        try
        {
            Environment.SetEnvironmentVariable("RESEARCHKIT_PROGRESS", "none");
            Assert.IsType<SilentProgressSink>(ProgressSinks.Auto());
            Environment.SetEnvironmentVariable("RESEARCHKIT_PROGRESS", "plain");
            Assert.IsType<PlainProgressSink>(ProgressSinks.Auto());
            Environment.SetEnvironmentVariable("RESEARCHKIT_PROGRESS", null);
            // Under the test runner stdout is redirected: plain lines, never a live bar.
            Assert.IsType<PlainProgressSink>(ProgressSinks.Auto());
        }
        finally { Environment.SetEnvironmentVariable("RESEARCHKIT_PROGRESS", old); }
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlainProgressSink(new StringWriter(), everySteps: 0));
    }

    private static void Run(SyntheticTask task, IProgressSink? sink)
    {
        var model = SyntheticTask.Mlp(2);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), (o, y) => F.CrossEntropy(o, y), new TrainerOptions
        {
            MaxSteps = 8, Progress = sink, Description = "fit", Evaluate = () => Metrics.Evaluate(model, task.All(64)),
        });
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
    }
}
