using System.Globalization;

namespace ResearchKit.Training;

/// <summary>
/// Writes one progress line every <c>everySteps</c> steps or <c>every</c> seconds (whichever comes first), plus the last
/// step, evaluations and a summary; each line is flushed. For redirected output: CI logs and notebooks, whose runner
/// captures the console as a stream (a live bar would print its redraw codes there).
/// </summary>
public sealed class PlainProgressSink : IProgressSink
{
    private readonly TextWriter _writer;
    private readonly int _everySteps;
    private readonly TimeSpan _every;
    private readonly ProgressClock _clock;
    private readonly TimeProvider _time;
    private string _description = "train";
    private long _lastPrintedStep;
    private long _lastPrintTimestamp;
    private long _total;

    /// <summary>Creates the sink.</summary>
    /// <param name="writer">Destination, e.g. <see cref="Console.Out"/>.</param>
    /// <param name="everySteps">Print at least every this many steps (≥ 1).</param>
    /// <param name="every">Print when this much time passed since the last line (default 10 s).</param>
    /// <param name="time">Clock (tests pass a fake one).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="everySteps"/> is below 1.</exception>
    public PlainProgressSink(TextWriter writer, int everySteps = 100, TimeSpan? every = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (everySteps < 1) throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "PlainProgressSink: everySteps must be at least 1.");
        _writer = writer;
        _everySteps = everySteps;
        _every = every ?? TimeSpan.FromSeconds(10);
        _time = time ?? TimeProvider.System;
        _clock = new ProgressClock(_time);
    }

    /// <inheritdoc/>
    public void Start(string description, long totalSteps, long startStep)
    {
        _description = description;
        _total = totalSteps;
        _lastPrintedStep = startStep;
        _clock.Start(startStep);
        _lastPrintTimestamp = _time.GetTimestamp();
        Write(startStep > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{description}: resuming at step {startStep} of {totalSteps}")
            : string.Create(CultureInfo.InvariantCulture, $"{description}: {totalSteps} steps"));
    }

    /// <inheritdoc/>
    public void Step(in ProgressUpdate update)
    {
        bool due = update.Step - _lastPrintedStep >= _everySteps || update.Step >= update.TotalSteps
                   || _time.GetElapsedTime(_lastPrintTimestamp) >= _every;
        if (!due) return;
        _lastPrintedStep = update.Step;
        _lastPrintTimestamp = _time.GetTimestamp();
        Write(_description + " " + _clock.Line(update));
    }

    /// <inheritdoc/>
    public void Evaluated(long step, IReadOnlyDictionary<string, double> metrics) =>
        Write(string.Create(CultureInfo.InvariantCulture, $"{_description} eval @ step {step}: {ProgressClock.Metrics(metrics)}"));

    /// <inheritdoc/>
    public void Message(string text) => Write(_description + ": " + text);

    /// <inheritdoc/>
    public void Finish(long step)
    {
        var elapsed = _clock.Elapsed;
        Write(string.Create(CultureInfo.InvariantCulture,
            $"{_description}: done at step {step}/{_total}, {_clock.StepsDone(step)} steps in {elapsed.TotalSeconds:0.0} s ({_clock.Rate(step):0.0} it/s)"));
    }

    private void Write(string line)
    {
        _writer.WriteLine(line);
        _writer.Flush();
    }
}
