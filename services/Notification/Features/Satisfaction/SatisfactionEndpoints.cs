using System.Globalization;
using Accountability.Contracts.Notification;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Preferences;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Notification.Features.Satisfaction;

/// <summary>
/// The one question at resolution: how satisfied are you with how your complaint was handled?
/// The message's links open the question (GET, with ?answer=1..5 already chosen); only a POST records
/// the answer, because mail scanners open every link in a message and must not answer for the
/// complainant (issue 17, finding 11). Recorded once, reported per unit to supervisors, commanders and admins.
/// </summary>
public static class SatisfactionEndpoints
{
    private static readonly string[] Labels = ["", "Very dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Very satisfied"];

    public static IEndpointRouteBuilder MapSatisfaction(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/public/satisfaction/{token}", AskAsync).AllowAnonymous();
        app.MapPost("/api/public/satisfaction/{token}", AnswerAsync).AllowAnonymous();

        app.MapGet("/api/satisfaction", async (ServiceDatabase database, DirectoryCopy directory, CancellationToken cancellationToken) =>
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var chart = await directory.CurrentAsync(connection, null, cancellationToken);
            var rows = await connection.QueryAsync<UnitRow>(new CommandDefinition(
                """
                select coalesce(unit_id, '') as UnitId, count(*) as Asked, count(answer) as Answered, avg(answer)::float8 as Average,
                       count(*) filter (where answer = 1) as A1, count(*) filter (where answer = 2) as A2, count(*) filter (where answer = 3) as A3,
                       count(*) filter (where answer = 4) as A4, count(*) filter (where answer = 5) as A5
                from satisfaction group by unit_id order by unit_id
                """, cancellationToken: cancellationToken));
            return Results.Ok(new
            {
                units = rows.Select(r => new
                {
                    unitId = r.UnitId.Length == 0 ? null : r.UnitId,
                    unitName = r.UnitId.Length == 0 ? "(unit unknown)" : chart?.Unit(r.UnitId)?.Name ?? r.UnitId,
                    asked = r.Asked,
                    answered = r.Answered,
                    averageAnswer = r.Average is { } average ? Math.Round(average, 2) : (double?)null,
                    answers = new Dictionary<string, long> { ["1"] = r.A1, ["2"] = r.A2, ["3"] = r.A3, ["4"] = r.A4, ["5"] = r.A5 },
                }),
            });
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Supervisor, Roles.Commander, Roles.Admin));
        return app;
    }

    /// <summary>The question, or the answer the link chose waiting for one press. Records nothing.</summary>
    private static async Task<IResult> AskAsync(string token, string? answer, ServiceDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var answered = await connection.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(
            "select answer is not null from satisfaction where token = @token", new { token }, cancellationToken: cancellationToken));
        if (answered is null)
            return UnknownLink();
        if (answered.Value)
            return Html("<p>Thank you: you have already answered.</p>");
        var chosen = int.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 5 ? n : 0;
        var choices = string.Join("", Enumerable.Range(1, 5).Select(i =>
            $"<li><label><input type=\"radio\" name=\"answer\" value=\"{i}\"{(i == chosen ? " checked" : "")} required> {i} – {Labels[i]}</label></li>"));
        return Html($"<form method=\"post\"><p>How satisfied are you with how your complaint was handled?</p><ul>{choices}</ul><button type=\"submit\">Send my answer</button></form>");
    }

    private static async Task<IResult> AnswerAsync(
        string token, HttpRequest request, ServiceDatabase database, TimeProvider time, CancellationToken cancellationToken)
    {
        // The console and scripts send ?answer=; the page's own form sends it as a field.
        string? answer = request.Query["answer"];
        if (answer is null && request.HasFormContentType)
            answer = (await request.ReadFormAsync(cancellationToken))["answer"];
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var question = await connection.QuerySingleOrDefaultAsync<QuestionRow>(new CommandDefinition(
            "select case_id as CaseId, unit_id as UnitId, answer as Answer from satisfaction where token = @token for update",
            new { token }, transaction, cancellationToken: cancellationToken));
        if (question is null)
            return UnknownLink();
        if (!int.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out var score) || score is < 1 or > 5)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["answer"] = ["Must be a whole number from 1 to 5."] });
        if (question.Answer is not null)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already answered",
                detail: "This question has already been answered; the first answer counts.");

        var now = time.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition(
            "update satisfaction set answer = @score, answered_at = @now where token = @token",
            new { score = (short)score, now, token }, transaction, cancellationToken: cancellationToken));
        await OutboxWriter.EnqueueAsync(transaction, new SatisfactionRecorded
        {
            CaseId = question.CaseId,
            UnitId = question.UnitId,
            Answer = score,
            RecordedAt = now,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return request.HasFormContentType
            ? Html("<p>Thank you. Your answer has been recorded.</p>")
            : Results.Ok(new { recorded = true, answer = score });
    }

    private static IResult Html(string body) => Results.Content(OptOutEndpoints.Page(body), "text/html; charset=utf-8");

    private static IResult UnknownLink() =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown link",
            detail: "This link is not valid. Copy the whole link from the message you received.");

    private sealed record QuestionRow(Guid CaseId, string? UnitId, short? Answer);

    private sealed record UnitRow(string UnitId, long Asked, long Answered, double? Average, long A1, long A2, long A3, long A4, long A5);
}
