using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Accountability.Contracts.Directory;

namespace Accountability.Assignment.Features.Directory;

/// <summary>
/// Reads deploy/org/directory.json (System.Text.Json web defaults) and refuses it, with every problem listed,
/// unless it is complete and valid.
/// </summary>
public static class DirectoryLoader
{
    /// <summary>The options the file is read with; the same shape that DirectoryPublished carries.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = CreateSerializerOptions();

    private static readonly Dictionary<Type, string> ObjectNames = new()
    {
        [typeof(OrgDirectory)] = "the directory",
        [typeof(OrgUnit)] = "a unit",
        [typeof(OrgPerson)] = "a person",
        [typeof(RoutingRule)] = "a routing rule",
    };

    /// <exception cref="InvalidDirectoryException">The file is missing, unreadable, not JSON, incomplete or invalid.</exception>
    public static OrgDirectory Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);

        string json;
        try
        {
            json = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDirectoryException(fullPath, [new DirectoryProblem("$", $"the file does not exist: {fullPath}")]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDirectoryException(fullPath, [new DirectoryProblem("$", $"the file cannot be read: {e.Message}")]);
        }

        return Parse(json, fullPath);
    }

    /// <summary>Parses and validates directory JSON; <paramref name="source"/> names it in the error message.</summary>
    /// <exception cref="InvalidDirectoryException">The text is not JSON, incomplete or invalid.</exception>
    public static OrgDirectory Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDirectoryException(source, [new DirectoryProblem("$", DescribeSyntaxError(e))]);
        }

        using (document)
        {
            // The shape check finds every missing, mistyped or misspelt field at once; the serializer stops at the first.
            var problems = new List<DirectoryProblem>();
            CheckValue(document.RootElement, typeof(OrgDirectory), "", problems);

            OrgDirectory? directory = null;
            try
            {
                directory = document.RootElement.Deserialize<OrgDirectory>(SerializerOptions);
            }
            catch (JsonException) when (problems.Count > 0)
            {
                // Already explained, field by field, by the shape check.
            }
            catch (JsonException e)
            {
                problems.Add(new DirectoryProblem(e.Path ?? "$", e.Message));
            }

            if (directory is null && problems.Count == 0)
                problems.Add(new DirectoryProblem("$", "is null; the file must hold one JSON object"));

            if (directory is not null)
            {
                // A field already reported as null or mistyped would be reported again, less clearly, by the validator.
                var reported = problems.Select(problem => problem.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
                problems.AddRange(DirectoryValidator.Validate(directory).Where(problem => !reported.Contains(problem.Path)));
            }

            if (problems.Count > 0)
                throw new InvalidDirectoryException(source, problems);

            return directory!;
        }
    }

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        options.MakeReadOnly();
        return options;
    }

    private static string DescribeSyntaxError(JsonException e)
    {
        // The reader's message ends with its own zero-based "LineNumber: 3 | BytePositionInLine: 7."; say it the way editors count.
        var message = e.Message;
        var suffix = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix >= 0)
            message = message[..suffix];

        return e.LineNumber is { } line && e.BytePositionInLine is { } position
            ? $"is not valid JSON at line {line + 1}, position {position + 1}: {message}"
            : $"is not valid JSON: {message}";
    }

    private static void CheckValue(JsonElement value, Type type, string path, List<DirectoryProblem> problems)
    {
        var where = path.Length == 0 ? "$" : path;

        if (type == typeof(string))
        {
            if (value.ValueKind != JsonValueKind.String)
                problems.Add(new DirectoryProblem(where, $"must be a string in quotes, not {Describe(value.ValueKind)}"));
            return;
        }

        if (type == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                problems.Add(new DirectoryProblem(where, $"must be true or false, not {Describe(value.ValueKind)}"));
            return;
        }

        var info = SerializerOptions.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Enumerable when value.ValueKind != JsonValueKind.Array:
                problems.Add(new DirectoryProblem(where, $"must be a list in [brackets], not {Describe(value.ValueKind)}"));
                return;

            case JsonTypeInfoKind.Enumerable:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var itemPath = $"{path}[{index++}]";
                    if (item.ValueKind == JsonValueKind.Null)
                        problems.Add(new DirectoryProblem(itemPath, "is null; remove it or fill it in"));
                    else
                        CheckValue(item, info.ElementType!, itemPath, problems);
                }

                return;

            case JsonTypeInfoKind.Object when value.ValueKind != JsonValueKind.Object:
                problems.Add(new DirectoryProblem(where, $"must be {NameOf(type)} in {{braces}}, not {Describe(value.ValueKind)}"));
                return;

            case JsonTypeInfoKind.Object:
                CheckObject(value, info, path, problems);
                return;
        }
    }

    private static void CheckObject(JsonElement value, JsonTypeInfo info, string path, List<DirectoryProblem> problems)
    {
        var present = new HashSet<JsonPropertyInfo>();
        foreach (var member in value.EnumerateObject())
        {
            var memberPath = path.Length == 0 ? member.Name : $"{path}.{member.Name}";

            // Web defaults match names ignoring case; an unknown name is almost always a typo that would be silently dropped.
            var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, member.Name, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var fields = string.Join(", ", info.Properties.Select(p => p.Name));
                problems.Add(new DirectoryProblem(memberPath, $"is not a field of {NameOf(info.Type)}; the fields are: {fields}"));
                continue;
            }

            if (!present.Add(property))
            {
                problems.Add(new DirectoryProblem(memberPath, $"appears twice in the same object; keep one"));
                continue;
            }

            if (member.Value.ValueKind == JsonValueKind.Null)
            {
                if (!property.IsSetNullable)
                {
                    problems.Add(new DirectoryProblem(memberPath, property.IsRequired
                        ? $"is null, but {NameOf(info.Type)} must have it"
                        : "is null; give a value or leave the field out"));
                }

                continue;
            }

            CheckValue(member.Value, property.PropertyType, memberPath, problems);
        }

        foreach (var missing in info.Properties.Where(p => p.IsRequired && !present.Contains(p)))
        {
            var memberPath = path.Length == 0 ? missing.Name : $"{path}.{missing.Name}";
            problems.Add(new DirectoryProblem(memberPath, $"is missing; {NameOf(info.Type)} must have it"));
        }
    }

    private static string NameOf(Type type) => ObjectNames.GetValueOrDefault(type, type.Name);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
