using System.Globalization;
using Accountability.Console.Backend;
using Accountability.Contracts.Intake;

namespace Accountability.Console.Pages.Shared;

/// <summary>The fields of a complaint as a person fills them in: the public form, and the staff form for calls and visits.</summary>
public sealed class ComplaintForm
{
    public string? Category { get; set; }
    public string? Narrative { get; set; }
    public string? District { get; set; }
    public string? OccurredAt { get; set; }
    public string? Address { get; set; }
    public string? OfficerBadge { get; set; }

    /// <summary>A name or what the officer looked like, when the badge is not known. Both may be empty: "I don't know" is fine.</summary>
    public string? OfficerDescription { get; set; }
    public bool Anonymous { get; set; }
    public string? Name { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }

    /// <summary>Staff form only: how the complaint reached the department (phone, walk-in, e-mail, an officer).</summary>
    public string? Channel { get; set; }

    /// <summary>Made when the form is shown: pressing Send twice, or again after a timeout, files one complaint.</summary>
    public string? SubmissionId { get; set; }
}

/// <summary>
/// What both complaint forms share: the categories in plain words, the local "when" turned into an instant in the
/// department's zone, the body intake takes, and intake's field-level reasons put back next to the form's fields.
/// </summary>
public sealed class ComplaintFiling(ConsoleOptions options)
{
    /// <summary>Intake's limit, checked here first so a huge paste gets a clear answer instead of a refused upload.</summary>
    public const int MaxNarrativeLength = 10_000;

    public static readonly IReadOnlyList<(string Value, string Label)> Categories =
    [
        ("", "Choose one"),
        (ComplaintCategories.Force, "Force: an officer used physical force"),
        (ComplaintCategories.AbuseOfAuthority, "Abuse of authority: a search, stop, arrest or threat that was not right"),
        (ComplaintCategories.Discourtesy, "Discourtesy: an officer was rude"),
        (ComplaintCategories.OffensiveLanguage, "Offensive language: slurs or insults"),
        (ComplaintCategories.LackOfService, "Lack of service: nobody came, or nobody helped"),
        (ComplaintCategories.Misconduct, "Misconduct: other wrongdoing by an officer"),
        (ComplaintCategories.Other, "Something else"),
    ];

    public static readonly IReadOnlyList<string> Districts = ["1", "2", "3", "4", "5"];

    private static readonly string[] LocalFormats = ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"];

    public static string CategoryLabel(string? category) => Categories.FirstOrDefault(c => c.Value == category).Label ?? category ?? "";

    /// <summary>The "when" as the person typed it, in words: 20 November 2026 at 14:05.</summary>
    public static string? OccurredAtText(string? occurredAt) =>
        DateTime.TryParseExact(occurredAt, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? local.ToString("d MMMM yyyy 'at' HH:mm", CultureInfo.GetCultureInfo("en-US"))
            : null;

    /// <summary>Checks what the page can check itself; returns the body for intake, or null with <paramref name="errors"/> filled.</summary>
    public object? Body(ComplaintForm form, Dictionary<string, string> errors, string? channel = null)
    {
        var narrative = form.Narrative ?? "";
        if (string.IsNullOrWhiteSpace(narrative))
            errors["narrative"] = "Please tell us what happened.";
        else if (narrative.Length > MaxNarrativeLength)
            errors["narrative"] = $"Please keep the description to {MaxNarrativeLength:N0} characters; it has {narrative.Length:N0}. You can send more details later to the investigator.";
        var occurredAt = OccurredAt(form, errors);
        if (errors.Count > 0)
            return null;
        return new
        {
            category = form.Category,
            narrative,
            channel,
            district = string.IsNullOrEmpty(form.District) ? null : form.District,
            occurredAt,
            location = string.IsNullOrWhiteSpace(form.Address) ? null : new { address = form.Address.Trim() },
            // What they told us about the officer becomes the allegation; an unidentified officer is a valid allegation.
            allegations = string.IsNullOrWhiteSpace(form.Category) ? null : new[]
            {
                new { type = form.Category, officerBadge = Blank(form.OfficerBadge), officerDescription = Blank(form.OfficerDescription) },
            },
            complainant = form.Anonymous
                ? (object)new { anonymous = true }
                : new { name = Blank(form.Name), email = Blank(form.Email), phone = Blank(form.Phone) },
        };
    }

    /// <summary>
    /// Files the form through intake's <paramref name="path"/> (public or staff), once per form shown (its
    /// SubmissionId keys the retry). Returns the receipt, or fills <paramref name="errors"/> next to the fields,
    /// or returns the problem no field could hold.
    /// </summary>
    public async Task<(FilingReceiptDto? Receipt, ApiProblem? Problem)> FileAsync(
        ServiceApi api, string path, ComplaintForm form, Dictionary<string, string> errors, string? channel, CancellationToken ct)
    {
        form.SubmissionId = Guid.TryParseExact(form.SubmissionId, "N", out _) ? form.SubmissionId : Guid.NewGuid().ToString("N");
        var body = Body(form, errors, channel);
        if (body is null)
            return (null, null);
        var result = await api.PostAsync(Service.Intake, path, body, ct, idempotencyKey: $"console-{(channel is null ? "public" : "staff")}-{form.SubmissionId}");
        if (result.Ok)
            return (System.Text.Json.JsonSerializer.Deserialize<FilingReceiptDto>(result.Value.GetRawText(), System.Text.Json.JsonSerializerOptions.Web), null);
        return PlaceErrors(result.Problem!, form, errors) ? (null, null) : (null, result.Problem);
    }

    /// <summary>Intake checks every field at once; each reason goes next to its field, in plain words. Returns false when none could be placed.</summary>
    public static bool PlaceErrors(ApiProblem problem, ComplaintForm form, Dictionary<string, string> errors)
    {
        foreach (var (field, reasons) in problem.Errors)
            errors[FormField(field)] = field == "category" && string.IsNullOrWhiteSpace(form.Category)
                ? "Please choose what the complaint is about."
                : string.Join(" ", reasons.Select(reason => reason == "Required." ? "Please fill this in." : reason));
        return errors.Count > 0;
    }

    /// <summary>The form's local date and time, in the department's zone, as the ISO 8601 instant intake wants.</summary>
    private string? OccurredAt(ComplaintForm form, Dictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(form.OccurredAt))
            return null;
        if (!DateTime.TryParseExact(form.OccurredAt, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            errors["occurredAt"] = "Give the date and time as shown, e.g. 2026-03-01 14:05.";
            return null;
        }
        var zone = options.Zone;
        var offset = zone.IsInvalidTime(local) ? zone.GetUtcOffset(local.AddHours(1)) : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string FormField(string apiField) => apiField switch
    {
        "location.address" or "location" => "address",
        "complainant.name" => "name",
        "complainant.email" => "email",
        "complainant.phone" => "phone",
        "complainant" => "contact",
        _ when apiField.StartsWith("subjectOfficers", StringComparison.OrdinalIgnoreCase) => "officerBadge",
        _ when apiField.EndsWith("officerBadge", StringComparison.OrdinalIgnoreCase) => "officerBadge",
        _ when apiField.EndsWith("officerDescription", StringComparison.OrdinalIgnoreCase) => "officerDescription",
        _ when apiField.StartsWith("allegations", StringComparison.OrdinalIgnoreCase) => "category",
        _ when apiField.StartsWith("Idempotency", StringComparison.OrdinalIgnoreCase) => "form",
        _ => apiField,
    };
}
