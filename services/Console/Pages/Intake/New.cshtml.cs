using Accountability.Console.Backend;
using Accountability.Console.Pages.Shared;
using Accountability.Contracts.Intake;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Accountability.Console.Pages.Intake;

/// <summary>
/// The staff form for a complaint taken by phone, at the counter, by e-mail or from an officer: intake's staff
/// filing API, under the clerk's own name. The receipt gives the case number and the tracking code to read back.
/// </summary>
public sealed class NewModel(ServiceApi api, IOptions<ConsoleOptions> options) : PageModel
{
    public static readonly IReadOnlyList<(string Value, string Label)> Channels =
    [
        (ComplaintChannels.Phone, "By phone"),
        (ComplaintChannels.WalkIn, "In person, at the counter"),
        (ComplaintChannels.Email, "By e-mail or letter"),
        (ComplaintChannels.Officer, "Reported by an officer"),
    ];

    [BindProperty] public ComplaintForm Form { get; set; } = new();

    public Dictionary<string, string> FieldErrors { get; } = new(StringComparer.OrdinalIgnoreCase);
    public ApiProblem? Problem { get; private set; }
    public FilingReceiptDto? Receipt { get; private set; }

    public string FirstContactPromise => options.Value.FirstContactPromise;

    public void OnGet() => Form = new ComplaintForm { SubmissionId = Guid.NewGuid().ToString("N"), Channel = ComplaintChannels.Phone };

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Channels.Any(c => c.Value == Form.Channel))
            FieldErrors["channel"] = "Please say how the complaint reached you.";
        if (string.IsNullOrEmpty(Form.District))
            FieldErrors["district"] = "Please choose the district; ask the caller where it happened.";
        // Staff file under their own name, on the channel the complaint came by.
        (Receipt, Problem) = await new ComplaintFiling(options.Value).FileAsync(api, "/api/complaints", Form, FieldErrors, Form.Channel, ct);
        return Page();
    }

    public string? ErrorFor(string field) => FieldErrors.GetValueOrDefault(field);
}
