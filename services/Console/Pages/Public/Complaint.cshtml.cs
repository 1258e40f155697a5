using System.Globalization;
using Accountability.Console.Backend;
using Accountability.Contracts.Intake;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Accountability.Console.Pages.Public;

/// <summary>The form a member of the public fills in, as the public filing API takes it.</summary>
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

    /// <summary>Made when the form is shown: pressing Send twice, or again after a timeout, files one complaint.</summary>
    public string? SubmissionId { get; set; }
}

/// <summary>
/// File a complaint, anonymously if the person wishes. The intake service validates; this page
/// puts each of its reasons next to the field it concerns, in plain words.
/// </summary>
public sealed class ComplaintModel(ServiceApi api, IOptions<ConsoleOptions> options) : PageModel
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

    [BindProperty] public ComplaintForm Form { get; set; } = new();

    public Dictionary<string, string> FieldErrors { get; } = new(StringComparer.OrdinalIgnoreCase);
    public ApiProblem? Problem { get; private set; }
    public FilingReceiptDto? Receipt { get; private set; }

    /// <summary>What the receipt repeats back, in the words the person chose.</summary>
    public string CategoryLabel => Categories.FirstOrDefault(c => c.Value == Form.Category).Label ?? Form.Category ?? "";

    public string FirstContactPromise => options.Value.FirstContactPromise;

    /// <summary>The "when" as the person typed it, in words: 20 November 2026 at 14:05.</summary>
    public string? OccurredAtText =>
        DateTime.TryParseExact(Form.OccurredAt, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? local.ToString("d MMMM yyyy 'at' HH:mm", CultureInfo.GetCultureInfo("en-US"))
            : null;

    public void OnGet() => Form = new ComplaintForm { SubmissionId = Guid.NewGuid().ToString("N") };

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form.SubmissionId = Guid.TryParseExact(Form.SubmissionId, "N", out _) ? Form.SubmissionId : Guid.NewGuid().ToString("N");
        var narrative = Form.Narrative ?? "";
        if (string.IsNullOrWhiteSpace(narrative))
            FieldErrors["narrative"] = "Please tell us what happened.";
        else if (narrative.Length > MaxNarrativeLength)
            FieldErrors["narrative"] = $"Please keep the description to {MaxNarrativeLength:N0} characters; it has {narrative.Length:N0}. You can send more details later to the investigator.";
        var occurredAt = OccurredAt();
        if (FieldErrors.Count > 0)
            return Page();

        var body = new
        {
            category = Form.Category,
            narrative,
            district = string.IsNullOrEmpty(Form.District) ? null : Form.District,
            occurredAt,
            location = string.IsNullOrWhiteSpace(Form.Address) ? null : new { address = Form.Address.Trim() },
            // What they told us about the officer becomes the allegation; an unidentified officer is a valid allegation.
            allegations = string.IsNullOrWhiteSpace(Form.Category) ? null : new[]
            {
                new { type = Form.Category, officerBadge = Blank(Form.OfficerBadge), officerDescription = Blank(Form.OfficerDescription) },
            },
            complainant = Form.Anonymous
                ? (object)new { anonymous = true }
                : new { name = Blank(Form.Name), email = Blank(Form.Email), phone = Blank(Form.Phone) },
        };
        var result = await api.PostAsync(Service.Intake, "/api/public/complaints", body, ct, idempotencyKey: $"console-{Form.SubmissionId}");
        if (result.Ok)
        {
            Receipt = System.Text.Json.JsonSerializer.Deserialize<FilingReceiptDto>(result.Value.GetRawText(), System.Text.Json.JsonSerializerOptions.Web);
            return Page();
        }
        // Intake checks every field at once; each reason goes next to its field, in plain words.
        foreach (var (field, reasons) in result.Problem!.Errors)
            FieldErrors[FormField(field)] = field == "category" && string.IsNullOrWhiteSpace(Form.Category)
                ? "Please choose what the complaint is about."
                : string.Join(" ", reasons.Select(Plain));
        if (FieldErrors.Count == 0)
            Problem = result.Problem;
        return Page();
    }

    public string? ErrorFor(string field) => FieldErrors.GetValueOrDefault(field);

    /// <summary>The form's local date and time, in the department's zone, as the ISO 8601 instant intake wants.</summary>
    private string? OccurredAt()
    {
        if (string.IsNullOrWhiteSpace(Form.OccurredAt))
            return null;
        if (!DateTime.TryParseExact(Form.OccurredAt, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            FieldErrors["occurredAt"] = "Give the date and time as shown, e.g. 2026-03-01 14:05.";
            return null;
        }
        var zone = options.Value.Zone;
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

    private static string Plain(string reason) => reason == "Required." ? "Please fill this in." : reason;
}
