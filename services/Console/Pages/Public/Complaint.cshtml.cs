using Accountability.Console.Backend;
using Accountability.Console.Pages.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Accountability.Console.Pages.Public;

/// <summary>
/// File a complaint, anonymously if the person wishes. The intake service validates; this page
/// puts each of its reasons next to the field it concerns, in plain words.
/// </summary>
public sealed class ComplaintModel(ServiceApi api, IOptions<ConsoleOptions> options) : PageModel
{
    [BindProperty] public ComplaintForm Form { get; set; } = new();

    public Dictionary<string, string> FieldErrors { get; } = new(StringComparer.OrdinalIgnoreCase);
    public ApiProblem? Problem { get; private set; }
    public FilingReceiptDto? Receipt { get; private set; }

    /// <summary>What the receipt repeats back, in the words the person chose.</summary>
    public string CategoryLabel => ComplaintFiling.CategoryLabel(Form.Category);

    public string FirstContactPromise => options.Value.FirstContactPromise;

    public string? OccurredAtText => ComplaintFiling.OccurredAtText(Form.OccurredAt);

    public void OnGet() => Form = new ComplaintForm { SubmissionId = Guid.NewGuid().ToString("N") };

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        (Receipt, Problem) = await new ComplaintFiling(options.Value).FileAsync(api, "/api/public/complaints", Form, FieldErrors, channel: null, ct);
        return Page();
    }

    public string? ErrorFor(string field) => FieldErrors.GetValueOrDefault(field);
}
