using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ResearchKit.Training;

/// <summary>
/// A live Spectre.Console progress bar (step/total, percentage, rate, ETA, latest loss/accuracy) for interactive
/// terminals. The bar is driven by its own render thread: <see cref="Step"/> only stores the latest update, so the
/// training loop never waits on the console.
/// </summary>
public sealed class SpectreProgressSink : IProgressSink
{
    private readonly IAnsiConsole _console;
    private readonly ProgressClock _clock = new(null);
    private readonly object _gate = new();
    private readonly Queue<string> _messages = new();
    private ProgressUpdate? _latest;
    private string _description = "train";
    private long _total;
    private long _startStep;
    private volatile bool _done;
    private volatile string _stats = "";
    private Task? _render;

    /// <summary>Creates the sink on <paramref name="console"/> (default <see cref="AnsiConsole.Console"/>).</summary>
    public SpectreProgressSink(IAnsiConsole? console = null) { _console = console ?? AnsiConsole.Console; }

    /// <inheritdoc/>
    public void Start(string description, long totalSteps, long startStep)
    {
        _description = description;
        _total = Math.Max(1, totalSteps);
        _startStep = startStep;
        _clock.Start(startStep);
        _done = false;
        _render = Task.Run(() => _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = _console.Profile.Width >= 110 ? 30 : 14 }, new PercentageColumn(),
                new StatsColumn(this), new SpinnerColumn())
            .StartAsync(RenderLoop));
    }

    private async Task RenderLoop(ProgressContext ctx)
    {
        var task = ctx.AddTask(Markup.Escape(_description), maxValue: _total);
        task.Value = _startStep;
        while (true)
        {
            bool done = _done;
            ProgressUpdate? u;
            string[] messages;
            lock (_gate) { u = _latest; messages = _messages.ToArray(); _messages.Clear(); }
            foreach (var m in messages) _console.MarkupLine(Markup.Escape(m));
            if (u is ProgressUpdate p)
            {
                task.Value = p.Step;
                _stats = Stats(p, _console.Profile.Width);
            }
            if (done) break;
            await Task.Delay(100).ConfigureAwait(false);
        }
        task.StopTask();
        ctx.Refresh();
    }

    /// <summary>"120/600 · 35.2 it/s · ETA 0:13 · loss 0.4213 · acc 91.2%", shorter on narrow terminals.</summary>
    private string Stats(in ProgressUpdate u, int width)
    {
        var inv = CultureInfo.InvariantCulture;
        string eta = ProgressClock.Duration(_clock.Eta(u.Step, u.TotalSteps));
        string acc = u.Accuracy is double a ? string.Create(inv, $" · acc {100 * a:0.0}%") : "";
        return width >= 110
            ? string.Create(inv, $"{u.Step}/{u.TotalSteps} · ep {u.Epoch} · {_clock.Rate(u.Step):0.0} it/s · ETA {eta} · loss {u.Loss:0.0000}{acc} · lr {u.Lr.ToString("G3", inv)}")
            : string.Create(inv, $"{u.Step}/{u.TotalSteps} {_clock.Rate(u.Step):0.0}it/s ETA {eta} loss {u.Loss:0.000}") + acc.Replace(" · ", " ", StringComparison.Ordinal);
    }

    /// <summary>Renders the latest stats line without wrapping.</summary>
    private sealed class StatsColumn(SpectreProgressSink sink) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(sink._stats) { Overflow = Overflow.Ellipsis };
    }

    /// <inheritdoc/>
    public void Step(in ProgressUpdate update)
    {
        lock (_gate) _latest = update;
    }

    /// <inheritdoc/>
    public void Evaluated(long step, IReadOnlyDictionary<string, double> metrics) =>
        Line(FormattableString.Invariant($"{_description} eval @ step {step}: {ProgressClock.Metrics(metrics)}"));

    /// <inheritdoc/>
    public void Message(string text) => Line(_description + ": " + text);

    // Lines go through the render thread while the bar is live (Spectre's display is not thread-safe).
    private void Line(string line)
    {
        if (_render is null) { _console.WriteLine(line); return; }
        lock (_gate) _messages.Enqueue(line);
    }

    /// <inheritdoc/>
    public void Finish(long step)
    {
        _done = true;
        var render = _render;
        _render = null;
        // A display failure must not hide the training outcome: wait briefly and move on.
        try { render?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _console.WriteLine(FormattableString.Invariant(
            $"{_description}: done at step {step}/{_total}, {_clock.StepsDone(step)} steps in {_clock.Elapsed.TotalSeconds:0.0} s ({_clock.Rate(step):0.0} it/s)"));
    }
}
