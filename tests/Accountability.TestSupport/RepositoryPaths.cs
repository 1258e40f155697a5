namespace Accountability.TestSupport;

public static class RepositoryPaths
{
    /// <summary>The folder holding Accountability.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Accountability.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No Accountability.sln above {AppContext.BaseDirectory}.");
    }
}
