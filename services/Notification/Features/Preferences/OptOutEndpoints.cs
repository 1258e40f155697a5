using Accountability.Contracts.Notification;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Dapper;

namespace Accountability.Notification.Features.Preferences;

/// <summary>
/// The complainant's opt-out, through the secret link in every update they get. Opening the link
/// shows a button (link scanners open links, and must not opt anyone out); pressing it, or a mail
/// client's one-click unsubscribe, posts. The receipt and the resolution are still sent.
/// </summary>
public static class OptOutEndpoints
{
    public static IEndpointRouteBuilder MapOptOut(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/public/opt-out/{token}", async (string token, ServiceDatabase database, CancellationToken cancellationToken) =>
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var optedOut = await connection.QuerySingleOrDefaultAsync<OptOutRow>(new CommandDefinition(
                "select case_id as CaseId, opted_out_at as OptedOutAt from cases where opt_out_token = @token", new { token }, cancellationToken: cancellationToken));
            if (optedOut is null)
                return UnknownLink();
            var text = optedOut.OptedOutAt is not null
                ? "<p>You have already stopped these updates. We will still tell you the outcome of your complaint.</p>"
                : """
                  <p>Do you want to stop the progress updates about your complaint?</p>
                  <p>We will still tell you the outcome when the investigation is finished.</p>
                  <form method="post"><button type="submit">Stop progress updates</button></form>
                  """;
            return Results.Content(Page(text), "text/html; charset=utf-8");
        }).AllowAnonymous();

        app.MapPost("/api/public/opt-out/{token}", async (string token, HttpRequest request, ServiceDatabase database, TimeProvider time, CancellationToken cancellationToken) =>
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var now = time.GetUtcNow();
            var caseId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                "update cases set opted_out_at = @now where opt_out_token = @token and opted_out_at is null returning case_id",
                new { token, now }, transaction, cancellationToken: cancellationToken));
            if (caseId is { } optedOut)
                await OutboxWriter.EnqueueAsync(transaction, new ComplainantOptedOut { CaseId = optedOut, OptedOutAt = now }, cancellationToken);
            else if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                         "select exists (select 1 from cases where opt_out_token = @token)", new { token }, transaction, cancellationToken: cancellationToken)))
                return UnknownLink();
            await transaction.CommitAsync(cancellationToken);
            // The console's page asks for JSON; a browser on this service's own page, or a mail client, gets the page.
            if (request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase))
                return Results.Ok(new { optedOut = true });
            return Results.Content(Page("<p>Done: you will get no more progress updates. We will still tell you the outcome of your complaint.</p>"),
                "text/html; charset=utf-8");
        }).AllowAnonymous();
        return app;
    }

    private static IResult UnknownLink() =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown link",
            detail: "This link is not valid. Copy the whole link from the message you received.");

    private sealed record OptOutRow(Guid CaseId, DateTime? OptedOutAt);

    internal static string Page(string body) =>
        $"""
         <!doctype html>
         <html lang="en"><head><meta charset="utf-8"><title>Your complaint</title></head>
         <body>{body}</body></html>
         """;
}
