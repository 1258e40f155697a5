using Spectre.Console;

namespace Accountability.AuditCli;

/// <summary>Long runs report (done, total); Spectre.Console draws them as a bar with a percentage and time left.</summary>
public static class ProgressDisplay
{
    public static readonly IProgress<(long Done, long Total)> Silent = new Ignored();

    public static Task<T> RunAsync<T>(IAnsiConsole console, string label, Func<IProgress<(long Done, long Total)>, Task<T>> work) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(label.EscapeMarkup());
                task.IsIndeterminate = true;
                var result = await work(new TaskProgress(task));
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });

    private sealed class TaskProgress(ProgressTask task) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value)
        {
            if (value.Total <= 0)
                return;
            task.IsIndeterminate = false;
            task.MaxValue = value.Total;
            task.Value = Math.Min(value.Done, value.Total);
        }
    }

    private sealed class Ignored : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value)
        {
        }
    }
}
