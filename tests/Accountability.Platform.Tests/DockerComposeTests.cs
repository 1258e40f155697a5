using Accountability.TestSupport;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Accountability.Platform.Tests;

/// <summary>docker-compose.yml cannot run here (no Docker engine), so it is kept honest by reading it.</summary>
public sealed class DockerComposeTests
{
    private static readonly string[] Services = ["intake", "assignment", "escalation", "notification", "audit", "console"];

    [Fact]
    public void The_compose_file_runs_the_five_services_and_the_console_with_their_broker_database_and_jaeger()
    {
        var services = Load();

        Assert.Equal(
            new[] { "assignment", "audit", "console", "escalation", "intake", "jaeger", "notification", "postgres", "rabbitmq" },
            services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
        Assert.Equal("true", Scalar(services, "jaeger", "environment", "COLLECTOR_OTLP_ENABLED"));
        Assert.StartsWith("postgres:15", Scalar(services, "postgres", "image"));
        Assert.StartsWith("rabbitmq:3.10", Scalar(services, "rabbitmq", "image"));
    }

    [Fact]
    public void Every_service_is_built_from_its_own_project_and_exports_traces_to_jaeger()
    {
        var services = Load();
        var ports = new Dictionary<string, string> { ["intake"] = "5101", ["assignment"] = "5102", ["escalation"] = "5103", ["notification"] = "5104", ["audit"] = "5105", ["console"] = "5100" };
        foreach (var name in Services)
        {
            var project = Scalar(services, name, "build", "args", "SERVICE");
            Assert.True(File.Exists(RepositoryPaths.File("services", project, $"Accountability.{project}.csproj")), $"{name} builds a project that exists");
            Assert.True(File.Exists(RepositoryPaths.File(Scalar(services, name, "build", "dockerfile"))), $"{name}'s Dockerfile exists");
            Assert.Equal("http://jaeger:4317", Scalar(services, name, "environment", "OTEL_EXPORTER_OTLP_ENDPOINT"));
            Assert.Equal(name, Scalar(services, name, "environment", "OTEL_SERVICE_NAME"));
            Assert.StartsWith("Host=postgres;", Scalar(services, name, "environment", "ConnectionStrings__Accountability"));
            Assert.StartsWith("amqp://", Scalar(services, name, "environment", "RabbitMq__Uri"));
            var port = ((YamlSequenceNode)Node(services, name, "ports")).Children.Cast<YamlScalarNode>().Single().Value!;
            Assert.Equal($"{ports[name]}:8080", port);
        }
        foreach (var name in Services.Where(s => s != "console"))
            Assert.Equal($"http://{name}:8080", Scalar(services, "console", "environment", $"Console__Services__{char.ToUpperInvariant(name[0])}{name[1..]}"));
    }

    private static YamlMappingNode Load()
    {
        using var reader = new StreamReader(RepositoryPaths.File("docker-compose.yml"));
        var stream = new YamlStream();
        // The file shares settings through anchors and merge keys (<<), which the merging parser resolves.
        stream.Load(new MergingParser(new Parser(reader)));
        return (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["services"];
    }

    private static YamlNode Node(YamlMappingNode root, params string[] path) =>
        path.Aggregate((YamlNode)root, (node, key) => ((YamlMappingNode)node)[key]);

    private static string Scalar(YamlMappingNode root, params string[] path) => ((YamlScalarNode)Node(root, path)).Value!;
}
