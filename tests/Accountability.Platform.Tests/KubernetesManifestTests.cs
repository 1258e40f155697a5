using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Accountability.TestSupport;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Accountability.Platform.Tests;

/// <summary>
/// deploy/k8s offline (no cluster runs here): what kustomize builds validates against the Kubernetes API schemas and
/// the operators' resource schemas (deploy/k8s/check), and every setting a Deployment gives its service is one that
/// the service reads: a property of an options class it ships (found by reflection on the built service, not
/// loaded), a key it reads by name, or one the platform reads (Urls, ASPNETCORE_*, OTEL_*).
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private static readonly Dictionary<string, string> Projects = new()
    {
        ["intake"] = "Intake", ["assignment"] = "Assignment", ["escalation"] = "Escalation",
        ["notification"] = "Notification", ["audit"] = "Audit", ["console"] = "Console",
    };

    private static readonly string[] Kustomizations = ["deploy/k8s/base", "deploy/k8s/overlays/example"];

    [Fact]
    public async Task The_base_and_every_overlay_validate_offline_against_the_kubernetes_and_operator_schemas()
    {
        var (exitCode, output) = await RunCheckAsync();

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"k8s-check: \d+ objects from 2 kustomization\(s\), 0 invalid", output);
    }

    [Fact]
    public async Task A_manifest_with_a_misspelled_field_a_wrong_type_or_an_invalid_operator_setting_fails_the_check_naming_each()
    {
        var folder = RepositoryPaths.File("deploy", "k8s", "check", ".strict", $"broken-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "kustomization.yaml"), """
                resources:
                  - ../../../base
                patches:
                  - target: { kind: Deployment, name: audit }
                    patch: |
                      - { op: add, path: /spec/template/spec/containers/0/readinessProbe/periodSecond, value: 5 }
                  - target: { kind: Deployment, name: intake }
                    patch: |
                      - { op: replace, path: /spec/replicas, value: two }
                  - target: { kind: Cluster, name: accountability-db }
                    patch: |
                      - { op: replace, path: /spec/postgresql/synchronous/method, value: all }
                """);

            var (exitCode, output) = await RunCheckAsync(folder);

            Assert.Equal(1, exitCode);
            Assert.Contains("Deployment/audit: Object literal may only specify known properties, and '\"periodSecond\"' does not exist", output);
            Assert.Contains("Deployment/intake: data/spec/replicas must be integer", output);
            Assert.Contains("Cluster/accountability-db: data/spec/postgresql/synchronous/method must be equal to one of the allowed values", output);
            Assert.Contains("3 invalid", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Every_setting_a_deployment_gives_its_service_is_one_the_service_reads()
    {
        foreach (var kustomization in Kustomizations)
        {
            var deployments = Deployments(await KustomizeAsync(kustomization));
            Assert.Equal(Projects.Keys.Order(), deployments.Keys.Order());
            foreach (var (name, variables) in deployments)
            {
                var settings = SettingsRead(Projects[name]);
                var unknown = variables.Keys.Where(v => !settings.Accepts(v)).ToList();
                Assert.True(unknown.Count == 0, $"{kustomization}: {name} sets {string.Join(", ", unknown)}, which {Projects[name]} does not read");
            }
        }
    }

    [Fact]
    public async Task Every_service_deployment_names_its_own_database_login_the_broker_its_nodes_and_quorum_queues()
    {
        var deployments = Deployments(await KustomizeAsync("deploy/k8s/overlays/example"));
        foreach (var name in Projects.Keys.Where(n => n != "console"))
        {
            var variables = deployments[name];
            Assert.Equal($"accountability-db-{name}", variables["ConnectionStrings__Accountability"]);
            Assert.Equal("accountability-db-owner", variables["ConnectionStrings__AccountabilityOwner"]);
            Assert.Equal("accountability-broker", variables["RabbitMq__Uri"]);
            Assert.Equal("true", variables["RabbitMq__QuorumQueues"]);
        }
        Assert.Equal("accountability-broker", deployments["console"]["RabbitMq__Uri"]);
        // Every service, the console too, knows each broker node by its own address.
        Assert.All(Projects.Keys, name => Assert.Equal("accountability-settings", deployments[name]["RabbitMq__ClusterNodes"]));
    }

    [Fact]
    public void The_settings_check_knows_the_options_classes_and_refuses_a_near_miss()
    {
        var intake = SettingsRead("Intake");
        var console = SettingsRead("Console");

        Assert.True(intake.Accepts("RabbitMq__QuorumQueues"));
        Assert.True(intake.Accepts("Intake__PublicFilingLimit__PermitLimit"));
        Assert.True(intake.Accepts("Privacy__Keys__k7"));
        Assert.True(intake.Accepts("Open311__ApiKeys__3"));
        Assert.True(SettingsRead("Assignment").Accepts("Directory__SeedPath"));
        Assert.True(console.Accepts("Console__Oidc__ClientSecret"));
        Assert.False(intake.Accepts("RabbitMq__QuorumQueue"));
        Assert.False(intake.Accepts("Intake__AssignmentUri"));
        Assert.False(intake.Accepts("Console__Oidc__ClientSecret"));
        Assert.False(console.Accepts("Escalation__AssignmentUrl"));
    }

    /// <summary>Each Deployment's container's variables: the value, or the secret or config map it comes from.</summary>
    private static Dictionary<string, Dictionary<string, string>> Deployments(List<YamlMappingNode> objects) =>
        objects.Where(o => Scalar(o, "kind") == "Deployment").ToDictionary(
            o => Scalar(o, "metadata", "name"),
            o => ((YamlSequenceNode)Node(o, "spec", "template", "spec", "containers")).Children.Cast<YamlMappingNode>().Single()
                .Children.TryGetValue(new YamlScalarNode("env"), out var env)
                ? ((YamlSequenceNode)env).Children.Cast<YamlMappingNode>().ToDictionary(
                    e => Scalar(e, "name"),
                    e => e.Children.TryGetValue(new YamlScalarNode("value"), out var value)
                        ? ((YamlScalarNode)value).Value ?? ""
                        : ((YamlMappingNode)((YamlMappingNode)Node(e, "valueFrom")).Children.Values.Single()).Children[new YamlScalarNode("name")] is YamlScalarNode { Value: { } source } ? source : "")
                : []);

    private sealed record Settings(HashSet<string> Keys, HashSet<string> Prefixes)
    {
        /// <summary>An environment variable's configuration key (Section__Key is Section:Key), compared as configuration does: ignoring case.</summary>
        public bool Accepts(string variable)
        {
            if (variable == "Urls" || variable.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                || variable.StartsWith("DOTNET_", StringComparison.Ordinal) || variable.StartsWith("OTEL_", StringComparison.Ordinal))
                return true;
            var key = variable.Replace("__", ":", StringComparison.Ordinal);
            return Keys.Contains(key) || Prefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase))
                || key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase);
        }
    }

    private static readonly Dictionary<string, Settings> SettingsByProject = [];

    /// <summary>
    /// What a service reads: every options class (a type with a <c>const string Section</c>) in its own and the shared
    /// Accountability assemblies of its build output, flattened into keys; the connection strings named by
    /// <c>*ConnectionStringName</c> constants; and keys its source reads by name (<c>configuration["A:B"]</c>).
    /// </summary>
    private static Settings SettingsRead(string project)
    {
        lock (SettingsByProject)
        {
            if (SettingsByProject.TryGetValue(project, out var known))
                return known;
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
            var output = RepositoryPaths.File("services", project, "bin", configuration, "net10.0");
            Assert.True(File.Exists(Path.Combine(output, $"Accountability.{project}.dll")), $"build {project} first ({output})");
            var runtime = RuntimeEnvironment.GetRuntimeDirectory();
            // The ASP.NET Core shared framework beside the runtime (the same version when there, else the newest).
            var frameworks = Path.GetFullPath(Path.Combine(runtime, "..", "..", "Microsoft.AspNetCore.App"));
            var version = Path.GetFileName(runtime.TrimEnd(Path.DirectorySeparatorChar));
            var aspNetCore = Directory.Exists(Path.Combine(frameworks, version))
                ? Path.Combine(frameworks, version)
                : Directory.GetDirectories(frameworks).Order(StringComparer.Ordinal).Last();
            var paths = Directory.GetFiles(output, "*.dll")
                .Concat(Directory.GetFiles(runtime, "*.dll"))
                .Concat(Directory.GetFiles(aspNetCore, "*.dll"))
                .GroupBy(Path.GetFileName).Select(g => g.First());
            using var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
            var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var prefixes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var file in Directory.GetFiles(output, "Accountability.*.dll"))
            {
                foreach (var type in context.LoadFromAssemblyPath(file).GetTypes())
                {
                    foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType.FullName == "System.String"))
                    {
                        if (field.Name == "Section")
                            Flatten(type, (string)field.GetRawConstantValue()!, keys, prefixes);
                        else if (field.Name.EndsWith("ConnectionStringName", StringComparison.Ordinal))
                            keys.Add($"ConnectionStrings:{field.GetRawConstantValue()}");
                    }
                }
            }
            foreach (var folder in new[] { project, "Accountability.ServiceDefaults", "Accountability.Messaging" })
                foreach (var source in Directory.EnumerateFiles(RepositoryPaths.File("services", folder), "*.cs", SearchOption.AllDirectories)
                             .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
                    foreach (Match match in ReadByName().Matches(File.ReadAllText(source)))
                        keys.Add(match.Groups["key"].Value);
            return SettingsByProject[project] = new Settings(keys, prefixes);
        }
    }

    /// <summary>Settable properties as keys; collections and dictionaries take any key below them; nested classes recurse.</summary>
    private static void Flatten(Type type, string path, HashSet<string> keys, HashSet<string> prefixes)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{path}:{property.Name}";
            var propertyType = property.PropertyType;
            if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition().FullName == "System.Nullable`1")
                propertyType = propertyType.GetGenericArguments()[0];
            if (propertyType.IsPrimitive || propertyType.IsEnum || propertyType.Namespace == "System")
            {
                if (property.SetMethod is { IsPublic: true })
                    keys.Add(key);
            }
            else if (propertyType.IsArray || propertyType.GetInterfaces().Any(i => i.FullName == "System.Collections.IEnumerable"))
                prefixes.Add(key + ":");
            else if (propertyType.IsClass && propertyType != type)
                Flatten(propertyType, key, keys, prefixes);
        }
    }

    [GeneratedRegex("""[cC]onfiguration\["(?<key>[A-Za-z0-9_:]+)"\]""")]
    private static partial Regex ReadByName();

    private static async Task<List<YamlMappingNode>> KustomizeAsync(string kustomization)
    {
        var (exitCode, output) = await RunAsync("kubectl", ["kustomize", RepositoryPaths.File(kustomization)]);
        Assert.True(exitCode == 0, output);
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static Task<(int ExitCode, string Output)> RunCheckAsync(params string[] targets) =>
        RunAsync(RepositoryPaths.File("deploy", "k8s", "check", "run.sh"), targets);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        // kustomize's output alone when it succeeded (it is parsed); both streams otherwise, for the message.
        return (process.ExitCode, process.ExitCode == 0 && program == "kubectl" ? await stdout : await stdout + await stderr);
    }

    private static YamlNode Node(YamlMappingNode root, params string[] path) =>
        path.Aggregate((YamlNode)root, (node, key) => ((YamlMappingNode)node)[key]);

    private static string Scalar(YamlMappingNode root, params string[] path) => ((YamlScalarNode)Node(root, path)).Value!;
}
