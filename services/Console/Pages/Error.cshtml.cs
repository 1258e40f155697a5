using System.Diagnostics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages;

/// <summary>Every failure ends here in plain words: never a stack trace, never the exception's text.</summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class ErrorModel(ILogger<ErrorModel> logger) : PageModel
{
    public string Title { get; private set; } = "Something went wrong";

    public string Message { get; private set; } = "";

    public string? TraceId { get; private set; }

    // No handler parameters: binding them would read the form again, and an over-size form would then fail here too
    // (that turned "too large" into "Something went wrong on our side").
    public void OnGet() => Describe(QueryStatus());

    public void OnPost() => Describe(QueryStatus());

    private int? QueryStatus() =>
        int.TryParse(Request.Query["status"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : null;

    private void Describe(int? status)
    {
        var failure = HttpContext.Features.Get<IExceptionHandlerFeature>();
        var code = status ?? (failure is not null ? Response.StatusCode : 500);
        // The anti-forgery check reads the form first and calls an unreadable one a bad request; over the limit it is too large.
        if (code == 400 && Request.ContentLength > ConsoleHost.MaxFormBytes)
            code = 413;
        if (failure is not null && code >= 500)
            logger.LogError(failure.Error, "Unhandled error on {Path}", failure.Path);
        (Title, Message) = code switch
        {
            400 => ("That request could not be read", "Something in what was sent did not make sense. Go back and try again."),
            404 => ("Page not found", "There is no page at this address. Check the link, or start again from the front page."),
            405 => ("That is not possible here", "This page cannot be used that way."),
            413 => ("What you sent is too large", $"A form may be at most {ConsoleHost.MaxFormBytes / (1024 * 1024)} MB, and a description at most "
                + $"{Shared.ComplaintFiling.MaxNarrativeLength:N0} characters. Go back: your text is still in the form. Shorten it and send it again."),
            429 => ("Too many requests", "Wait a minute, then try again."),
            _ => ("Something went wrong on our side", "Nothing you did caused this. Try again in a moment."),
        };
        Response.StatusCode = code;
        if (code >= 500)
            TraceId = Activity.Current?.TraceId.ToString() ?? HttpContext.TraceIdentifier;
    }
}
