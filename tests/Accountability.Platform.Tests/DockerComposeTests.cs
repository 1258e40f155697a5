using System.Text.RegularExpressions;
using Accountability.TestSupport;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Accountability.Platform.Tests;

/// <summary>
/// Reads docker-compose.yml as a user with a registry gets it: every <c>${NAME:-default}</c> at its default
/// (the official images, the usual ports). `make compose-check` runs the same file here, with the images
/// built by deploy/images/build.sh.
/// </summary>
public sealed partial class DockerComposeTests
{
    private static readonly string[] Services = ["intake", "assignment", "escalation", "notification", "audit", "console"];

    [Fact]
    public void The_compose_file_runs_the_five_services_and_the_console_with_their_broker_database_mail_sink_and_jaeger()
    {
        var services = Load();

        Assert.Equal(
            new[] { "assignment", "audit", "console", "escalation", "intake", "jaeger", "mail", "notification", "postgres", "rabbitmq" },
            services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
        Assert.Equal("true", Scalar(services, "jaeger", "environment", "COLLECTOR_OTLP_ENABLED"));
        // Jaeger cannot be built without a registry, so it starts only with `--profile tracing`.
        Assert.Equal(["tracing"], ((YamlSequenceNode)Node(services, "jaeger", "profiles")).Children.Cast<YamlScalarNode>().Select(n => n.Value));
        Assert.StartsWith("postgres:15", Default(Scalar(services, "postgres", "image")));
        Assert.StartsWith("rabbitmq:3.10", Default(Scalar(services, "rabbitmq", "image")));
        // The images are overridable, so that the same file runs here with the images built from Debian packages.
        Assert.StartsWith("${POSTGRES_IMAGE:-", Scalar(services, "postgres", "image"));
        Assert.StartsWith("${RABBITMQ_IMAGE:-", Scalar(services, "rabbitmq", "image"));
        Assert.Equal("mail", Scalar(services, "notification", "environment", "Notification__Smtp__Host"));
    }

    [Fact]
    public void Every_service_is_built_from_its_own_project_logs_in_as_its_own_database_user_and_exports_traces_to_jaeger()
    {
        var services = Load();
        var ports = new Dictionary<string, string> { ["intake"] = "5101", ["assignment"] = "5102", ["escalation"] = "5103", ["notification"] = "5104", ["audit"] = "5105", ["console"] = "5100" };
        foreach (var name in Services)
        {
            var project = Scalar(services, name, "build", "args", "SERVICE");
            Assert.Equal($"accountability/{name}:latest", Default(Scalar(services, name, "image")));
            Assert.True(File.Exists(RepositoryPaths.File("services", project, $"Accountability.{project}.csproj")), $"{name} builds a project that exists");
            Assert.True(File.Exists(RepositoryPaths.File(Scalar(services, name, "build", "dockerfile"))), $"{name}'s Dockerfile exists");
            Assert.Equal("http://jaeger:4317", Default(Scalar(services, name, "environment", "OTEL_EXPORTER_OTLP_ENDPOINT")));
            Assert.Equal(name, Scalar(services, name, "environment", "OTEL_SERVICE_NAME"));
            Assert.Contains("Username=accountability;", Scalar(services, name, "environment", "ConnectionStrings__AccountabilityOwner"));
            Assert.StartsWith("amqp://", Scalar(services, name, "environment", "RabbitMq__Uri"));
            var port = ((YamlSequenceNode)Node(services, name, "ports")).Children.Cast<YamlScalarNode>().Single().Value!;
            Assert.Equal($"{ports[name]}:8080", Default(port));
        }
        foreach (var name in Services.Where(s => s != "console"))
        {
            // Each service works as its own login; the owner only runs migrations (docs/security.md).
            var runtime = Scalar(services, name, "environment", "ConnectionStrings__Accountability");
            Assert.StartsWith("Host=postgres;", runtime);
            Assert.Contains($"Username=accountability_{name};", runtime);
        }
        var logins = File.ReadAllText(RepositoryPaths.File("deploy", "postgres", "service-logins.sql"));
        foreach (var name in Services.Where(s => s != "console"))
            Assert.Contains($"'{name}'", logins);
        foreach (var name in Services.Where(s => s != "console"))
            Assert.Equal($"http://{name}:8080", Scalar(services, "console", "environment", $"Console__Services__{char.ToUpperInvariant(name[0])}{name[1..]}"));
    }

    /// <summary>A value as compose reads it when no variable is set: <c>${NAME:-x}</c> and <c>${NAME-x}</c> give x.</summary>
    private static string Default(string value) => Variable().Replace(value, m => m.Groups["default"].Value);

    [GeneratedRegex(@"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-(?<default>[^}]*))?\}")]
    private static partial Regex Variable();

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
