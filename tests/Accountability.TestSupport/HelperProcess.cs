using System.Diagnostics;
using System.Text;

namespace Accountability.TestSupport;

/// <summary>
/// A real peer that a test runs beside the services (an SMTP relay, an OpenID provider): started from
/// its <see cref="ProcessStartInfo"/>, ready once it prints the line its owner waits for, its output kept
/// for failure messages, and stopped at the end: by closing its input when the program listens for
/// that, otherwise (or if it lingers) by killing it.
/// </summary>
public sealed class HelperProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly bool stopsOnEndOfInput;

    private HelperProcess(Process process, bool stopsOnEndOfInput)
    {
        this.process = process;
        this.stopsOnEndOfInput = stopsOnEndOfInput;
    }

    /// <summary>Everything the program printed on stdout and stderr so far.</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>Starts the program and waits (30 s at most) until it prints a line that <paramref name="isReady"/> accepts.</summary>
    public static async Task<HelperProcess> StartAsync(ProcessStartInfo start, Func<string, bool> isReady, string whatAndWhere)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        var helper = new HelperProcess(process, start.RedirectStandardInput);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            helper.Append(e.Data);
            if (isReady(e.Data))
                ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                helper.Append(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
        {
            await helper.DisposeAsync();
            throw new InvalidOperationException($"{whatAndWhere} did not get ready:\n{helper.Output}");
        }
        return helper;
    }

    private void Append(string line)
    {
        lock (output)
            output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            if (stopsOnEndOfInput)
                process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(stopsOnEndOfInput ? 5 : 0));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        process.Dispose();
    }
}
