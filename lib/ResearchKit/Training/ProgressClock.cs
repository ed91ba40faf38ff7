using System.Globalization;

namespace ResearchKit.Training;

/// <summary>Rate (steps per second since start, resumed steps excluded) and ETA, plus the text shared by the sinks.</summary>
internal sealed class ProgressClock
{
    private readonly TimeProvider _time;
    private long _startTimestamp;
    private long _startStep;

    public ProgressClock(TimeProvider? time) { _time = time ?? TimeProvider.System; }

    public void Start(long startStep) { _startTimestamp = _time.GetTimestamp(); _startStep = startStep; }

    public TimeSpan Elapsed => _time.GetElapsedTime(_startTimestamp);

    public long StepsDone(long step) => step - _startStep;

    /// <summary>Steps per second, 0 before any time has passed.</summary>
    public double Rate(long step)
    {
        double s = Elapsed.TotalSeconds;
        return s > 0 ? (step - _startStep) / s : 0;
    }

    public TimeSpan? Eta(long step, long total)
    {
        double r = Rate(step);
        if (r <= 0 || step >= total) return step >= total ? TimeSpan.Zero : null;
        double s = (total - step) / r;
        return s < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(s) : null;
    }

    public static string Duration(TimeSpan? t)
    {
        if (t is not TimeSpan d) return "?";
        return d.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalHours}:{d.Minutes:00}:{d.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{d.Minutes}:{d.Seconds:00}");
    }

    /// <summary>"120/600 (20.0%) · 35.2 it/s · ETA 0:13 · loss 0.4213 · acc 91.2% · lr 0.001".</summary>
    public string Line(in ProgressUpdate u)
    {
        var inv = CultureInfo.InvariantCulture;
        double pct = u.TotalSteps > 0 ? 100.0 * u.Step / u.TotalSteps : 0;
        string s = string.Create(inv, $"step {u.Step}/{u.TotalSteps} ({pct:0.0}%) · epoch {u.Epoch} · {Rate(u.Step):0.0} it/s · ETA {Duration(Eta(u.Step, u.TotalSteps))} · loss {u.Loss:0.0000}");
        if (u.Accuracy is double a) s += string.Create(inv, $" · acc {100 * a:0.0}%");
        return s + " · lr " + u.Lr.ToString("G4", inv);
    }

    public static string Metrics(IReadOnlyDictionary<string, double> metrics)
    {
        var parts = new List<string>();
        foreach (var (k, v) in metrics) parts.Add(k + "=" + v.ToString("G6", CultureInfo.InvariantCulture));
        return string.Join(", ", parts);
    }
}
