using System.Text.Json;

namespace Accountability.Intake.Features.Open311;

/// <summary>
/// Under /open311 every error is the spec's list of {code, description}. Errors raised before an
/// Open311 endpoint runs (body too large, an unhandled exception) come from the shared defaults as
/// problem+json; this middleware rewrites them, so an Open311 client never sees another format.
/// </summary>
public static class Open311ErrorFormat
{
    public static WebApplication UseOpen311ErrorFormat(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/open311"))
            {
                await next(context);
                return;
            }

            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await next(context);
            }
            finally
            {
                context.Response.Body = original;
            }

            var isProblem = context.Response.ContentType?.StartsWith("application/problem+json", StringComparison.OrdinalIgnoreCase) == true;
            if (context.Response.StatusCode >= 400 && (isProblem || buffer.Length == 0))
            {
                var description = ProblemText(buffer, isProblem) ?? "The request failed.";
                context.Response.ContentLength = null;
                await Open311Format.Error(Open311Format.FromPath(context.Request.Path), context.Response.StatusCode, description).ExecuteAsync(context);
                return;
            }
            buffer.Position = 0;
            await buffer.CopyToAsync(original, context.RequestAborted);
        });
        return app;
    }

    private static string? ProblemText(MemoryStream buffer, bool isProblem)
    {
        if (!isProblem || buffer.Length == 0)
            return null;
        try
        {
            using var problem = JsonDocument.Parse(buffer.ToArray());
            var root = problem.RootElement;
            return root.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } text ? text
                : root.TryGetProperty("title", out var title) ? title.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
