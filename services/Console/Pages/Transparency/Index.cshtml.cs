using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Caching.Memory;

namespace Accountability.Console.Pages.Transparency;

/// <summary>
/// The public transparency dashboard: no sign-in. The figures are audit's (GET /api/public/transparency), already
/// suppressed there; the page only draws them. Answers are kept a minute, so a busy page costs audit little.
/// </summary>
public sealed class IndexModel(ServiceApi api, IMemoryCache cache) : PageModel
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);

    [BindProperty(SupportsGet = true)] public string? From { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }
    [BindProperty(SupportsGet = true)] public string? Category { get; set; }

    public TransparencyDto? Figures { get; private set; }
    public ApiProblem? Problem { get; private set; }

    public string Query => FiguresQuery(From, To, Category, null);

    public static string FiguresQuery(string? from, string? to, string? category, string? unit) => string.Join("&",
        new[] { ("from", from), ("to", to), ("category", category), ("unit", unit) }
            .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!.Trim())}"));

    public async Task OnGetAsync(CancellationToken ct)
    {
        var path = $"/api/public/transparency?{Query}";
        if (cache.TryGetValue(path, out TransparencyDto? cached))
        {
            Figures = cached;
            return;
        }
        var result = await api.GetAsync<TransparencyDto>(Service.Audit, path, ct);
        if (result.Ok)
            Figures = cache.Set(path, result.Value, CacheFor);
        else
            Problem = result.Problem;
    }

    /// <summary>Every figure of the page as CSV, as audit writes it ("fewer than 5" where a count is suppressed).</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        var (response, problem) = await api.StreamAsync(Service.Audit, $"/api/public/transparency?{Query}&format=csv", ct);
        if (response is null)
        {
            Problem = problem;
            return Page();
        }
        HttpContext.Response.RegisterForDispose(response);
        return File(await response.Content.ReadAsStreamAsync(ct), "text/csv; charset=utf-8",
            response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? "complaint-figures.csv");
    }
}
