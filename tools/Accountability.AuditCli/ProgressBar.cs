namespace Accountability.AuditCli;

/// <summary>
/// A plain text progress bar on stderr, redrawn in place. Silent when stderr is not a terminal,
/// so logs and scripts capturing stderr get no carriage-return noise.
/// </summary>
public sealed class ProgressBar(TextWriter error, string label, bool enabled) : IProgress<(long Done, long Total)>
{
    private const int Width = 30;
    private int lastPercent = -1;

    public void Report((long Done, long Total) value)
    {
        if (!enabled || value.Total <= 0)
            return;
        var percent = (int)Math.Min(100, value.Done * 100 / value.Total);
        if (percent == lastPercent)
            return;
        lastPercent = percent;
        var filled = percent * Width / 100;
        error.Write($"\r{label} [{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}% {value.Done}/{value.Total}");
        if (percent == 100)
            error.WriteLine();
    }
}
