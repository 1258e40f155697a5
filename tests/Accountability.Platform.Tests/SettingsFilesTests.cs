using Accountability.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>
/// A service started from another folder (the repository, in local runs) still reads the settings files that ship beside
/// its assembly; the working directory's files, the environment and the command line still win over them.
/// </summary>
public sealed class SettingsFilesTests : IDisposable
{
    private readonly string assemblyDirectory = Directory.CreateTempSubdirectory("settings-beside-").FullName;
    private readonly string workingDirectory = Directory.CreateTempSubdirectory("settings-working-").FullName;

    [Fact]
    public void A_service_run_from_another_folder_reads_the_settings_files_beside_its_assembly()
    {
        File.WriteAllText(Path.Combine(assemblyDirectory, "appsettings.json"), """{ "Probe": { "Value": "beside", "Other": "beside" } }""");
        File.WriteAllText(Path.Combine(assemblyDirectory, "appsettings.Development.json"), """{ "Probe": { "Other": "beside, in Development" } }""");
        var configuration = LikeTheHost(environment: new Dictionary<string, string?>());

        SettingsFiles.ReadBesideTheAssembly(configuration, "Development", workingDirectory, assemblyDirectory);

        Assert.Equal("beside", configuration["Probe:Value"]);
        Assert.Equal("beside, in Development", configuration["Probe:Other"]);
    }

    [Fact]
    public void The_working_directory_s_file_and_the_environment_still_win_over_the_file_beside_the_assembly()
    {
        File.WriteAllText(Path.Combine(assemblyDirectory, "appsettings.json"), """{ "Probe": { "Value": "beside", "Other": "beside", "Kept": "beside" } }""");
        File.WriteAllText(Path.Combine(workingDirectory, "appsettings.json"), """{ "Probe": { "Value": "working directory", "Other": "working directory" } }""");
        var configuration = LikeTheHost(environment: new Dictionary<string, string?> { ["Probe:Other"] = "environment" });

        SettingsFiles.ReadBesideTheAssembly(configuration, "Production", workingDirectory, assemblyDirectory);

        Assert.Equal("working directory", configuration["Probe:Value"]);
        Assert.Equal("environment", configuration["Probe:Other"]);
        Assert.Equal("beside", configuration["Probe:Kept"]);
    }

    [Fact]
    public void Nothing_is_added_when_the_service_runs_from_its_own_folder()
    {
        var configuration = LikeTheHost(environment: new Dictionary<string, string?>());
        var before = configuration.Sources.Count;

        SettingsFiles.ReadBesideTheAssembly(configuration, "Production", assemblyDirectory + Path.DirectorySeparatorChar, assemblyDirectory);

        Assert.Equal(before, configuration.Sources.Count);
    }

    /// <summary>The sources in the host's order: the working directory's settings files, then the environment.</summary>
    private ConfigurationManager LikeTheHost(Dictionary<string, string?> environment)
    {
        var configuration = new ConfigurationManager();
        var working = new PhysicalFileProvider(workingDirectory);
        configuration.AddJsonFile(working, "appsettings.json", optional: true, reloadOnChange: false);
        configuration.AddJsonFile(working, "appsettings.Development.json", optional: true, reloadOnChange: false);
        configuration.AddJsonFile(working, "appsettings.Production.json", optional: true, reloadOnChange: false);
        configuration.AddInMemoryCollection(environment);
        return configuration;
    }

    public void Dispose()
    {
        Directory.Delete(assemblyDirectory, recursive: true);
        Directory.Delete(workingDirectory, recursive: true);
    }
}
