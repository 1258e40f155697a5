using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Accountability.ServiceDefaults;

/// <summary>
/// A service's appsettings.json ships beside its assembly, but ASP.NET Core reads it from the content root, which is the
/// working directory. In a container the two are one folder (/app). In local runs (make up, the tests, the bench) the
/// working directory is the repository, so a service read none of its settings file and ran on its code's defaults:
/// notification's prefetch of 32 had never applied there, and escalation's file asked for a timer poll ten times as
/// often as the code (docs/bench.md, thirty-sixth round). So the files beside the assembly are read as well, beneath
/// those of the working directory: a file an operator puts there, the environment and the command line still win.
/// </summary>
public static class SettingsFiles
{
    /// <summary>
    /// Adds <paramref name="assemblyDirectory"/>'s appsettings.json and appsettings.{environment}.json just before the
    /// working directory's, each where that one is read. Nothing changes when the two folders are the same.
    /// </summary>
    public static void ReadBesideTheAssembly(IConfigurationBuilder configuration, string environmentName, string contentRoot, string assemblyDirectory)
    {
        if (string.Equals(Path.GetFullPath(contentRoot).TrimEnd(Path.DirectorySeparatorChar),
                Path.GetFullPath(assemblyDirectory).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            return;
        var sources = configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not JsonConfigurationSource { Path: { } path } settings
                || (path != "appsettings.json" && path != $"appsettings.{environmentName}.json"))
                continue;
            sources.Insert(i, new JsonConfigurationSource
            {
                FileProvider = new PhysicalFileProvider(assemblyDirectory),
                Path = path,
                Optional = true,
                ReloadOnChange = settings.ReloadOnChange,
            });
            i++; // past the working directory's file, which stays right after it
        }
    }
}
