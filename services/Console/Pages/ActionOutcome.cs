using System.Text.Json;
using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages;

/// <summary>What became of a button press, kept for the page the browser is sent back to (post, redirect, get).</summary>
public static class ActionOutcome
{
    public static async Task ReportAsync(this PageModel page, Task<ApiResult<JsonElement>> call, string done)
    {
        var result = await call;
        if (result.Ok)
            page.TempData["Done"] = done;
        else
            page.TempData["Failed"] = result.Problem!.Summary;
    }
}
