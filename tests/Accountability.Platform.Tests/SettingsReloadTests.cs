using Accountability.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>
/// Settings are read once at start: no settings file is watched, since watching meant a recursive watch on the
/// working directory (the repository in local runs), which every database write under .state set off.
/// </summary>
public sealed class SettingsReloadTests
{
    [Fact]
    public void A_service_builder_reads_its_settings_files_without_watching_them()
    {
        var builder = AccountabilityWebApplication.CreateBuilder([]);

        var files = JsonSources(builder.Configuration);
        Assert.Contains(files, f => f.Path == "appsettings.json");
        Assert.All(files, f => Assert.False(f.ReloadOnChange, $"{f.Path} is watched"));
    }

    [Fact]
    public void An_operator_who_asks_for_reloading_on_the_command_line_still_gets_it()
    {
        var builder = AccountabilityWebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=true"]);

        Assert.All(JsonSources(builder.Configuration), f => Assert.True(f.ReloadOnChange, $"{f.Path} is not watched"));
    }

    private static List<JsonConfigurationSource> JsonSources(IConfigurationBuilder configuration) =>
        [.. configuration.Sources.OfType<JsonConfigurationSource>()];
}
