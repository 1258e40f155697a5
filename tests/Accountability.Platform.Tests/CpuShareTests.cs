using System.Diagnostics;
using Accountability.TestSupport;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Accountability.Platform.Tests;

/// <summary>
/// Under a burst, custody must go first (issue 18: routing is the first stage to finish): audit, which only records what
/// already happened, yields the CPU to the other services in every way the system is run. make bench starts the services
/// as deploy/local/services.sh does, so its figures are the ones `make up` would show.
/// </summary>
public sealed class CpuShareTests
{
    private static readonly string[] Others = ["Intake", "Assignment", "Escalation", "Notification", "Console"];

    [Fact]
    public async Task Make_up_starts_audit_at_nice_ten_and_every_other_service_at_the_default()
    {
        var script = await File.ReadAllTextAsync(RepositoryPaths.File("deploy", "local", "services.sh"));
        var function = script.Split('\n').Single(line => line.StartsWith("nice_of()", StringComparison.Ordinal));
        Assert.Contains("nice -n \"$(nice_of \"$s\")\" dotnet", script);

        Assert.Equal("10", await RunAsync(function, "Audit"));
        foreach (var service in Others)
            Assert.Equal("0", await RunAsync(function, service));
    }

    [Fact]
    public void Compose_gives_audit_an_eighth_of_the_weight_every_other_service_has()
    {
        using var reader = new StreamReader(RepositoryPaths.File("docker-compose.yml"));
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        var services = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["services"];

        Assert.Equal("128", ((YamlScalarNode)((YamlMappingNode)services["audit"])["cpu_shares"]).Value);
        foreach (var service in Others.Select(s => s.ToLowerInvariant()))
            Assert.False(((YamlMappingNode)services[service]).Children.ContainsKey("cpu_shares"), $"{service} keeps the default weight, 1024");
    }

    [Fact]
    public void On_kubernetes_audit_requests_less_cpu_than_any_other_service()
    {
        var requests = Others.Append("Audit").ToDictionary(s => s, s => CpuRequestMillicores(s.ToLowerInvariant()));

        Assert.All(Others, service => Assert.True(requests["Audit"] * 4 <= requests[service],
            $"audit requests {requests["Audit"]}m, {service} {requests[service]}m"));
    }

    private static int CpuRequestMillicores(string service)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(RepositoryPaths.File("deploy", "k8s", "base", $"{service}.yaml")))
            stream.Load(reader);
        var deployment = stream.Documents.Select(d => (YamlMappingNode)d.RootNode)
            .Single(d => d.Children.TryGetValue("kind", out var kind) && ((YamlScalarNode)kind).Value == "Deployment");
        var container = (YamlMappingNode)((YamlSequenceNode)Path(deployment, "spec", "template", "spec", "containers")).Children[0];
        var cpu = ((YamlScalarNode)Path(container, "resources", "requests", "cpu")).Value!;
        return cpu.EndsWith('m') ? int.Parse(cpu[..^1], System.Globalization.CultureInfo.InvariantCulture) : (int)(double.Parse(cpu, System.Globalization.CultureInfo.InvariantCulture) * 1000);
    }

    private static YamlNode Path(YamlMappingNode root, params string[] keys) =>
        keys.Aggregate((YamlNode)root, (node, key) => ((YamlMappingNode)node)[key]);

    /// <summary>The script's own function, run by bash for one service.</summary>
    private static async Task<string> RunAsync(string function, string service)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(function + "\nnice_of \"$1\"");
        start.ArgumentList.Add("nice_of");
        start.ArgumentList.Add(service);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output.Trim();
    }
}
