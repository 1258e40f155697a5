using System.Text.Json.Nodes;
using Accountability.Contracts.Intake;
using Accountability.Intake.Features.FileComplaint;

namespace Accountability.Intake.Features.Open311;

/// <summary>The complaint categories as GeoReport v2 services, and the attributes every one of them takes.</summary>
public static class Open311Catalogue
{
    public const string DistrictAttribute = "district";
    public const string OfficerBadgeAttribute = "officer_badge";
    public const string OccurredAtAttribute = "occurred_at";

    public static readonly IReadOnlyList<string> AttributeCodes = [DistrictAttribute, OfficerBadgeAttribute, OccurredAtAttribute];

    private sealed record Service(string Code, string Name, string Description, string Keywords, string Group);

    private static readonly IReadOnlyList<Service> Services =
    [
        new(ComplaintCategories.Force, "Use of force", "An officer used force that was excessive or not needed.", "force, excessive force, injury, restraint", "Officer conduct"),
        new(ComplaintCategories.AbuseOfAuthority, "Abuse of authority", "An improper stop, search, arrest, threat or other misuse of police powers.", "stop, search, arrest, threat, authority", "Officer conduct"),
        new(ComplaintCategories.Discourtesy, "Discourtesy", "An officer was rude, dismissive or unprofessional.", "rude, discourtesy, unprofessional", "Officer conduct"),
        new(ComplaintCategories.OffensiveLanguage, "Offensive language", "Slurs or offensive remarks about race, ethnicity, religion, gender, sexual orientation or disability.", "slur, offensive language, bias", "Officer conduct"),
        new(ComplaintCategories.LackOfService, "Lack of service", "The police failed to respond, investigate or assist.", "no response, failure to act, service", "Police service"),
        new(ComplaintCategories.Misconduct, "Misconduct", "Another breach of law or department policy by an officer.", "misconduct, policy, corruption", "Officer conduct"),
        new(ComplaintCategories.Other, "Other", "Anything else about police conduct or service.", "other, general", "Police service"),
    ];

    public static bool IsService(string? code) => Services.Any(s => s.Code == code);

    public static string NameOf(string code) => Services.FirstOrDefault(s => s.Code == code)?.Name ?? code;

    public static JsonArray ServiceList() => new([.. Services.Select(s => (JsonNode)new JsonObject
    {
        ["service_code"] = s.Code,
        ["service_name"] = s.Name,
        ["description"] = s.Description,
        ["metadata"] = true,
        ["type"] = "realtime",
        ["keywords"] = s.Keywords,
        ["group"] = s.Group,
    })]);

    public static JsonObject Definition(string code) => new()
    {
        ["service_code"] = code,
        ["attributes"] = new JsonArray(
            new JsonObject
            {
                ["variable"] = true,
                ["code"] = DistrictAttribute,
                ["datatype"] = "singlevaluelist",
                ["required"] = false,
                ["datatype_description"] = "The police district where it happened, if known.",
                ["order"] = 1,
                ["description"] = "District",
                ["values"] = new JsonArray([.. ComplaintValidator.Districts.Select(d => (JsonNode)new JsonObject { ["key"] = d, ["name"] = $"District {d}" })]),
            },
            new JsonObject
            {
                ["variable"] = true,
                ["code"] = OfficerBadgeAttribute,
                ["datatype"] = "string",
                ["required"] = false,
                ["datatype_description"] = "Badge numbers of the officers involved, separated by commas (1 to 10 letters, digits or hyphens each).",
                ["order"] = 2,
                ["description"] = "Officer badge number(s)",
            },
            new JsonObject
            {
                ["variable"] = true,
                ["code"] = OccurredAtAttribute,
                ["datatype"] = "datetime",
                ["required"] = false,
                ["datatype_description"] = "ISO 8601 date and time with a zone offset, e.g. 2025-03-01T14:05:00-05:00.",
                ["order"] = 3,
                ["description"] = "When it happened",
            }),
    };
}
