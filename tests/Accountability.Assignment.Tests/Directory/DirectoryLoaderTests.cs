using System.Text.Json;
using Accountability.Assignment.Features.Directory;
using Xunit;
using static Accountability.Assignment.Tests.Directory.TestDirectories;

namespace Accountability.Assignment.Tests.Directory;

public sealed class DirectoryLoaderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"accountability-directory-{Guid.NewGuid():N}");

    public DirectoryLoaderTests() => System.IO.Directory.CreateDirectory(_folder);

    public void Dispose() => System.IO.Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_valid_file_loads_into_the_same_directory_it_was_written_from()
    {
        var path = Write(JsonSerializer.Serialize(Small(), DirectoryLoader.SerializerOptions));

        var loaded = DirectoryLoader.Load(path);

        Assert.Equal(
            JsonSerializer.Serialize(Small(), DirectoryLoader.SerializerOptions),
            JsonSerializer.Serialize(loaded, DirectoryLoader.SerializerOptions));
    }

    [Fact]
    public void A_missing_file_is_refused_with_its_full_path()
    {
        var path = Path.Combine(_folder, "nowhere", "directory.json");

        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Load(path));

        var problem = Assert.Single(refusal.Problems);
        Assert.Equal("$", problem.Path);
        Assert.Contains("does not exist", problem.Message);
        Assert.Contains(path, refusal.Message);
    }

    [Fact]
    public void Malformed_json_is_refused_with_the_line_and_position_of_the_error()
    {
        var path = Write("""
            {
              "department": "Testville Police Department",
              "intakeDeskUnitId": "u-desk",
              "units": [ { "id": "u-desk", } ]
              "people": []
            }
            """);

        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Load(path));

        var problem = Assert.Single(refusal.Problems);
        Assert.Equal("$", problem.Path);
        Assert.Contains("is not valid JSON at line 4, position ", problem.Message);
        Assert.DoesNotContain("LineNumber", problem.Message);
    }

    [Fact]
    public void Missing_required_fields_are_all_listed_each_with_its_path()
    {
        var json = """
            {
              "department": "Testville Police Department",
              "units": [ { "id": "u-desk", "name": "Intake Desk", "kind": "intake" } ],
              "people": [ { "id": "p-chief", "name": "Ada Chief", "unitId": "u-desk", "roles": ["commander"], "supervisorId": null } ]
            }
            """;

        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Parse(json, "test.json"));

        Assert.Equal(
            new[] { "intakeDeskUnitId", "people[0].badge", "routingRules", "units[0].commanderId" },
            refusal.Problems.Select(problem => problem.Path).Order(StringComparer.Ordinal));
        Assert.Contains(refusal.Problems, p => p.Path == "intakeDeskUnitId" && p.Message.Contains("is missing; the directory must have it"));
        Assert.Contains(refusal.Problems, p => p.Path == "units[0].commanderId" && p.Message.Contains("is missing; a unit must have it"));
        Assert.Contains(refusal.Problems, p => p.Path == "people[0].badge" && p.Message.Contains("is missing; a person must have it"));
        Assert.Contains(refusal.Problems, p => p.Path == "routingRules" && p.Message.Contains("is missing"));
    }

    [Fact]
    public void A_misspelt_field_is_refused_instead_of_silently_ignored()
    {
        var json = JsonSerializer.Serialize(Small(), DirectoryLoader.SerializerOptions)
            .Replace("\"supervisorId\":\"p-captain\"", "\"supervisor\":\"p-captain\"", StringComparison.Ordinal);

        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Parse(json, "test.json"));

        var problem = Assert.Single(refusal.Problems, p => p.Path == $"people[{Officer}].supervisor");
        Assert.Contains("is not a field of a person", problem.Message);
        Assert.Contains("supervisorId", problem.Message);
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_refused()
    {
        var json = JsonSerializer.Serialize(Small(), DirectoryLoader.SerializerOptions)
            .Replace("\"badge\":\"300\"", "\"badge\":300", StringComparison.Ordinal)
            .Replace("\"id\":\"p-officer\"", "\"id\":\"p-officer\",\"active\":\"no\"", StringComparison.Ordinal);

        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Parse(json, "test.json"));

        Assert.Contains(refusal.Problems, p => p.Path == $"people[{Captain}].badge" && p.Message.Contains("must be a string"));
        Assert.Contains(refusal.Problems, p => p.Path == $"people[{Officer}].active" && p.Message.Contains("must be true or false"));
    }

    [Fact]
    public void A_required_field_set_to_null_is_reported_once()
    {
        var json = JsonSerializer.Serialize(Small(), DirectoryLoader.SerializerOptions)
            .Replace("\"name\":\"Eve Officer\"", "\"name\":null", StringComparison.Ordinal);

        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Parse(json, "test.json"));

        var problem = Assert.Single(refusal.Problems);
        Assert.Equal($"people[{Officer}].name", problem.Path);
        Assert.Equal("is null, but a person must have it", problem.Message);
    }

    [Fact]
    public void Validation_problems_are_listed_one_per_line_with_their_paths()
    {
        var broken = Small()
            .WithPerson(Captain, captain => captain with { SupervisorId = "p-officer" })
            .WithRule(1, rule => rule with { Category = "rudeness" });
        var path = Write(JsonSerializer.Serialize(broken, DirectoryLoader.SerializerOptions));

        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Load(path));

        var lines = refusal.Message.Split('\n');
        Assert.Equal($"The org directory {path} has 2 problems:", lines[0]);
        Assert.StartsWith($"  people[{Captain}].supervisorId: forms a cycle in the chain of command", lines[1]);
        Assert.StartsWith("  routingRules[1].category: 'rudeness' is not a complaint category", lines[2]);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void A_file_that_is_not_an_object_is_refused()
    {
        var refusal = Assert.Throws<InvalidDirectoryException>(() => DirectoryLoader.Parse("[]", "test.json"));

        var problem = Assert.Single(refusal.Problems);
        Assert.Equal("$", problem.Path);
        Assert.Contains("must be the directory", problem.Message);
    }

    private string Write(string json)
    {
        var path = Path.Combine(_folder, "directory.json");
        File.WriteAllText(path, json);
        return path;
    }
}
