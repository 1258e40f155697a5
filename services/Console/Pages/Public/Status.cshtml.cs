using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Public;

/// <summary>A complaint's public status, by tracking code: status, milestones and the responsible unit; never a name.</summary>
public sealed class StatusModel(ServiceApi api, Microsoft.Extensions.Options.IOptions<ConsoleOptions> options) : PageModel
{
    /// <summary>An instant as the complainant reads it: in the department's time zone, in words.</summary>
    public string Local(DateTimeOffset instant) =>
        options.Value.ToLocal(instant).ToString("d MMMM yyyy 'at' h:mm tt", System.Globalization.CultureInfo.GetCultureInfo("en-US"));

    public static string PlainStatus(string status) => status switch
    {
        "received" => "Received: it is waiting for a responsible person",
        "assigned" => "Being looked into by a responsible person",
        "resolved" => "Resolved",
        _ => status,
    };

    public static string PlainCategory(string category) =>
        Shared.ComplaintFiling.Categories.FirstOrDefault(c => c.Value == category).Label?.Split(':')[0] ?? category;

    public static string PlainFinding(string finding) => finding switch
    {
        "sustained" => "Sustained: the evidence showed the officer did what was alleged, and it was wrong",
        "not-sustained" => "Not sustained: there was not enough evidence either way",
        "exonerated" => "Exonerated: it happened, but it was lawful and within policy",
        "unfounded" => "Unfounded: the evidence showed it did not happen as described",
        "policy-failure" => "Policy failure: the officer followed policy, but the policy itself must change",
        "withdrawn" => "Withdrawn",
        _ => finding,
    };

    public string? Code { get; private set; }
    public PublicStatusDto? Status { get; private set; }
    public string? Message { get; private set; }

    public async Task OnGetAsync(string? code, CancellationToken ct)
    {
        Code = code?.Trim();
        if (code is null)
            return;
        if (string.IsNullOrWhiteSpace(Code))
        {
            Message = "Enter the tracking code you were given.";
            return;
        }
        if (Code.Length > 64)
        {
            Message = "That is not a tracking code: they are about 20 characters long.";
            return;
        }
        var result = await api.GetAsync<PublicStatusDto>(Service.Intake, $"/api/public/status/{Uri.EscapeDataString(Code)}", ct);
        if (result.Ok)
            Status = result.Value;
        else
        {
            Message = result.Problem!.Status == 404
                ? "We have no complaint with that tracking code. Check it for typing errors: it is on your receipt and in the e-mail we sent."
                : result.Problem.Message;
            Response.StatusCode = result.Problem.Status == 404 ? 404 : 200;
        }
    }

    public static string Plain(string milestone) => milestone switch
    {
        "received" => "We received your complaint",
        "routed" => "An investigator was made responsible for it",
        "transferred" => "It was passed to another responsible person",
        "contacted" => "The investigator contacted you",
        "resolved" => "It was resolved",
        "reopened" => "It was reopened",
        _ => milestone,
    };
}
