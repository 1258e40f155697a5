using System.Globalization;
using Accountability.Intake.Features.FileComplaint;

namespace Accountability.Intake.Features.Open311;

/// <summary>Translates a GeoReport v2 POST form into the complaint request every door files, and the rules' field names back.</summary>
public static class Open311RequestForm
{
    /// <summary>Spec fields we accept and do not need (jurisdiction, device, account, media).</summary>
    private static readonly HashSet<string> IgnoredFields =
        ["api_key", "jurisdiction_id", "device_id", "account_id", "address_id", "media_url"];

    private static readonly HashSet<string> MappedFields =
        ["service_code", "description", "lat", "long", "address_string", "email", "first_name", "last_name", "phone"];

    public static (FileComplaintRequest Request, List<string> Errors) ToComplaintRequest(IReadOnlyDictionary<string, string> fields)
    {
        var errors = new List<string>();
        string? Field(string name) => fields.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

        foreach (var name in fields.Keys)
        {
            if (name.StartsWith("attribute[", StringComparison.Ordinal) && name.EndsWith(']'))
            {
                var code = name["attribute[".Length..^1];
                if (!Open311Catalogue.AttributeCodes.Contains(code))
                    errors.Add($"{name}: unknown attribute; this service takes {string.Join(", ", Open311Catalogue.AttributeCodes.Select(c => $"attribute[{c}]"))}.");
            }
            else if (!IgnoredFields.Contains(name) && !MappedFields.Contains(name))
                errors.Add($"{(name.Length <= 40 ? name : name[..40] + "…")}: not a GeoReport v2 field.");
        }

        if (Field("service_code") is null)
            errors.Add("service_code: required.");
        var latitude = ParseCoordinate(Field("lat"), "lat", errors);
        var longitude = ParseCoordinate(Field("long"), "long", errors);
        var address = Field("address_string");
        // The spec requires a location: a point, an address, or an address id.
        if (latitude is null && longitude is null && address is null && Field("address_id") is null)
            errors.Add("lat/long: required, or address_string (one of the two locations is required).");

        var name1 = Field("first_name");
        var name2 = Field("last_name");
        var email = Field("email");
        var phone = Field("phone");
        var identified = name1 is not null || name2 is not null || email is not null || phone is not null;
        var fullName = string.Join(' ', new[] { name1, name2 }.Where(n => n is not null));

        var request = new FileComplaintRequest
        {
            Category = Field("service_code"),
            Narrative = Field("description"),
            District = Field("attribute[district]"),
            OccurredAt = Field("attribute[occurred_at]"),
            SubjectOfficers = Field("attribute[officer_badge]")?
                .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            Location = latitude is null && longitude is null && address is null
                ? null
                : new LocationInput { Address = address, Latitude = latitude, Longitude = longitude },
            Complainant = identified
                ? new ComplainantInput { Name = fullName.Length == 0 ? null : fullName, Email = email, Phone = phone }
                : new ComplainantInput { Anonymous = true },
        };
        return (request, errors);
    }

    /// <summary>The GeoReport v2 name of a field the filing rules complained about.</summary>
    public static string FieldName(string ruleField) => ruleField switch
    {
        "category" => "service_code",
        "narrative" => "description",
        "district" => "attribute[district]",
        "occurredAt" => "attribute[occurred_at]",
        "location" => "lat/long",
        "location.address" => "address_string",
        "location.latitude" => "lat",
        "location.longitude" => "long",
        "complainant.name" => "first_name/last_name",
        "complainant.email" => "email",
        "complainant.phone" => "phone",
        "complainant" => "email/phone",
        _ when ruleField.StartsWith("subjectOfficers", StringComparison.Ordinal) => "attribute[officer_badge]",
        _ => ruleField,
    };

    private static double? ParseCoordinate(string? value, string name, List<string> errors)
    {
        if (value is null)
            return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed))
            return parsed;
        errors.Add($"{name}: must be a decimal number (WGS 84 degrees).");
        return null;
    }
}
