using System.Diagnostics;

namespace Accountability.Bench;

/// <summary>Another commit of this repository, checked out in a worktree of its own and built (Release), for make bench REF=.</summary>
public sealed record ReferenceBuild(string Path, string Commit)
{
    public static async Task<ReferenceBuild> PrepareAsync(string repository, string gitRef, string profile)
    {
        var commit = (await RunAsync(repository, "git", ["rev-parse", "--verify", "--quiet", gitRef + "^{commit}"])).Trim();
        if (commit.Length == 0)
            throw new BenchException($"--ref {gitRef}: no such commit in {repository}");
        var path = System.IO.Path.Combine(repository, ".state", profile, $"ref-{commit[..12]}");
        if (!File.Exists(System.IO.Path.Combine(path, "Accountability.sln")))
        {
            BenchRun.Log($"checking out {gitRef} ({commit[..10]}) in {path}");
            await RunAsync(repository, "git", ["worktree", "prune"]);
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
            await RunAsync(repository, "git", ["worktree", "add", "--detach", "--force", path, commit]);
        }
        BenchRun.Log($"building {commit[..10]} (Release); a first build takes a few minutes");
        foreach (var service in ServiceHost.Names)
            await RunAsync(path, "dotnet", ["build", $"services/{service}", "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly"]);
        return new ReferenceBuild(path, commit);
    }

    public static string HeadCommit(string repository)
    {
        try
        {
            return RunAsync(repository, "git", ["rev-parse", "HEAD"]).GetAwaiter().GetResult().Trim() is { Length: >= 10 } head ? head : "unknown-commit";
        }
        catch (BenchException)
        {
            return "unknown-commit";
        }
    }

    private static async Task<string> RunAsync(string directory, string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new BenchException($"cannot run {program}");
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 && !(program == "git" && arguments[0] == "rev-parse"))
            throw new BenchException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}) in {directory}:\n{output}{await error}");
        return output;
    }
}
