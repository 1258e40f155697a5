using System.Diagnostics;
using System.Globalization;

namespace Accountability.Bench;

/// <summary>
/// The SMTP relay under load: Debian's aiosmtpd, through the tests' relay script in its discarding mode, so
/// the notification service really speaks SMTP to a real server and nobody is e-mailed. It keeps only a
/// count: the script prints a line for each message it accepts.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    /// <summary>Debian's interpreter, where python3-aiosmtpd installs; a python3 earlier on PATH (pyenv) lacks it.</summary>
    private const string Python = "/usr/bin/python3";

    private readonly Process process;
    private long messages;

    private SmtpSink(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    public long Messages => Interlocked.Read(ref messages);

    public static async Task<SmtpSink> StartAsync(string repository)
    {
        var script = Path.Combine(repository, "tests", "Accountability.TestSupport", "Smtp", "smtp_relay.py");
        var port = ServiceHost.FreePort();
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "--port", port.ToString(CultureInfo.InvariantCulture), "--discard" })
            start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BenchException($"cannot start {Python}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new BenchException($"{Python} is missing: apt-get install -y python3-aiosmtpd (make bench does it when run as root)");
        }
        var sink = new SmtpSink(process, port);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == "ACCEPTED")
                Interlocked.Increment(ref sink.messages);
            else if (e.Data == "READY")
                ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (errors)
                    errors.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
        {
            await sink.DisposeAsync();
            lock (errors)
                throw new BenchException($"the SMTP sink (aiosmtpd, {script}) did not start:\n{errors}");
        }
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // Closing its input is how the script is told to stop.
            process.StandardInput.Close();
            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        process.Dispose();
    }
}
