using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Public;

/// <summary>The question sent when a complaint is resolved: how satisfied was the complainant, 1 to 5. The first answer counts.</summary>
public sealed class SatisfactionModel(ServiceApi api) : PageModel
{
    public static readonly IReadOnlyList<(int Value, string Label)> Answers =
        [(1, "Very dissatisfied"), (2, "Dissatisfied"), (3, "Neither"), (4, "Satisfied"), (5, "Very satisfied")];

    public string Token { get; private set; } = "";
    public string? Message { get; private set; }
    public bool Recorded { get; private set; }

    /// <summary>The answer the e-mail's link chose (?answer=1..5), checked on the form but not yet sent.</summary>
    public int? Chosen { get; private set; }

    /// <summary>
    /// Opening the link records nothing, even with ?answer=: mail systems open links to scan them, and
    /// that must not answer for the complainant. The person confirms with one press.
    /// </summary>
    public void OnGet(string token, string? answer)
    {
        Token = token;
        Chosen = int.TryParse(answer, out var chosen) && chosen is >= 1 and <= 5 ? chosen : null;
    }

    public async Task<IActionResult> OnPostAsync(string token, int? answer, CancellationToken ct)
    {
        Token = token;
        if (answer is not (>= 1 and <= 5))
        {
            Message = "Please choose one of the five answers.";
            return Page();
        }
        var result = await api.PostAsync(Service.Notification, $"/api/public/satisfaction/{Uri.EscapeDataString(token)}?answer={answer}", null, ct);
        if (result.Ok)
            Recorded = true;
        else
            Message = result.Problem!.Status switch
            {
                404 => "This link is not valid. Copy the whole link from the message you received.",
                409 => "This question has already been answered; the first answer counts. Thank you.",
                _ => result.Problem.Message,
            };
        return Page();
    }
}
