using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Public;

/// <summary>
/// The "stop progress updates" link from the complainant's e-mails. Opening it changes nothing (mail
/// systems open links to scan them); pressing the button asks notification to stop. The receipt and
/// the outcome are still sent.
/// </summary>
public sealed class OptOutModel(ServiceApi api) : PageModel
{
    public string? Message { get; private set; }
    public bool Done { get; private set; }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken ct)
    {
        var result = await api.PostAsync(Service.Notification, $"/api/public/opt-out/{Uri.EscapeDataString(token)}", null, ct);
        if (result.Ok)
            Done = true;
        else
        {
            Message = result.Problem!.Status == 404
                ? "This link is not valid. Copy the whole link from the message you received."
                : result.Problem.Message;
            Response.StatusCode = result.Problem.Status == 404 ? 404 : 200;
        }
        return Page();
    }
}
