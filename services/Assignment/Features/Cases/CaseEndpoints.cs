using System.Security.Claims;
using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Access;
using Accountability.Assignment.Features.Custody;
using Accountability.Assignment.Features.Directory;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;
using Accountability.ServiceDefaults.Telemetry;

namespace Accountability.Assignment.Features.Cases;

public sealed record HandoffRequest(string? ToPersonId, string? ToUnitId, string? Reason);

public sealed record ReasonRequest(string? Reason);

public sealed record FindingRequest(string? AllegationId, string? Finding);

public sealed record AllegationRequest(string? Type, string? OfficerBadge, string? OfficerDescription, string? Reason);

public sealed record ReassignRequest(string? ToPersonId, string? Reason);

public sealed record ContactRequest(string? Method, string? Note);

public sealed record ConfidentialRequest(string? Reason, IReadOnlyList<string?>? Team);

/// <summary>The case API. Roles are checked here; relationships (owner, receiver, chain of command) by the custody rules.</summary>
public static class CaseEndpoints
{
    private static readonly string[] Readers = [.. Roles.CaseWorkers, Roles.Auditor];
    private const int MaxFilterLength = 100;
    private const int MaxIds = 100;

    public static IEndpointRouteBuilder MapCaseEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(policy => policy.RequireRole(Roles.CaseWorkers))
            .AddEndpointFilter(NeedToKnowFirst.FilterAsync);
        var reads = app.MapGroup("/api").RequireAuthorization(policy => policy.RequireRole(Readers));

        reads.MapGet("/cases", async (string? owner, string? unit, string? status, string? overdue, string? category, string? district, string? number,
            string? officer, string? ids, string? sort, string? limit, string? offset, string? after, ClaimsPrincipal user, CaseReaders readers, CaseQueries queries,
            DirectoryCache directory, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            // Exact matches on stored values: longer than any category code or district is a mistake, not a miss,
            // and a control character (NUL above all, which PostgreSQL text cannot hold) can never match.
            foreach (var (field, value) in new[] { ("category", category), ("district", district), ("number", number), ("officer", officer) })
                if (value is { Length: > MaxFilterLength })
                    errors[field] = [$"At most {MaxFilterLength} characters."];
                else if (value is not null && value.Any(char.IsControl))
                    errors[field] = ["Contains a control character."];
            if (status is not null and not ("open" or "resolved"))
                errors["status"] = ["Must be 'open' or 'resolved'; leave it out for both."];
            if (officer is not null && string.IsNullOrWhiteSpace(officer))
                errors["officer"] = ["Give a badge number or part of a name, or leave it out."];
            if (sort is not null && !CaseSorts.All.Contains(sort))
                errors["sort"] = [$"Must be one of: {string.Join(", ", CaseSorts.All)}."];
            List<Guid>? caseIds = null;
            if (ids is not null)
            {
                var parts = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                caseIds = [.. parts.Select(part => Guid.TryParse(part, out var id) ? id : Guid.Empty)];
                if (parts.Length is 0 or > MaxIds || caseIds.Contains(Guid.Empty))
                    errors["ids"] = [$"Must be 1 to {MaxIds} case ids, comma-separated."];
            }
            // Parsed here rather than bound, so a bad value gets a field-level reason.
            int? limitValue = int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : null;
            int? offsetValue = int.TryParse(offset, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var o) ? o : null;
            if (limit is not null && limitValue is not (>= 1 and <= 500))
                errors["limit"] = ["Must be a whole number between 1 and 500."];
            if (offset is not null && offsetValue is null)
                errors["offset"] = ["Must be a whole number, 0 or more."];
            // The page after a case, in the newest-first order: a client that pages through every case (escalation's gap monitor)
            // reads each page at the cost of that page, where an offset costs all the cases before it too.
            Guid? afterCase = Guid.TryParse(after, out var a) ? a : null;
            if (after is not null && afterCase is null)
                errors["after"] = ["Must be the id of the last case of the previous page."];
            else if (after is not null && sort is not null && sort != CaseSorts.Newest)
                errors["after"] = [$"Pages after a case only in the '{CaseSorts.Newest}' order."];
            else if (after is not null && offset is not null)
                errors["after"] = ["Give either after or offset, not both."];
            bool? overdueFilter = overdue switch { null => null, "true" => true, "false" => false, _ => null };
            if (overdue is not null and not ("true" or "false"))
                errors["overdue"] = ["Must be 'true' or 'false'."];
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);
            var filter = new CaseFilter(owner, unit, status, overdueFilter, category, district, number?.Trim(),
                officer is null ? null : OfficerBadges(officer.Trim(), directory.Chart), caseIds);
            var reader = readers.For(user);
            // Answered as for an id that names no case: a cursor must not tell anybody that a case they may not see exists.
            if (afterCase is { } cursor && await queries.VisibilityAsync(cursor, reader, ct) != CaseVisibility.Visible)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["after"] = ["No case you may see has this id."] });
            return Results.Ok(await queries.ListAsync(filter, reader, limitValue ?? 100, offsetValue ?? 0, ct, sort ?? CaseSorts.Newest, afterCase));
        }).RecordsCaseAccess("case-list");

        // A case the reader may not see answers exactly as a case that does not exist: nobody learns that a complaint exists.
        reads.MapGet("/cases/{caseId:guid}", async (Guid caseId, HttpContext http, CaseReaders readers, CaseQueries queries, CancellationToken ct) =>
            await queries.FindAsync(caseId, readers.For(http.User), ct) is { } view
                ? Results.Ok(view)
                : NotFound(http, caseId, await queries.VisibilityAsync(caseId, readers.For(http.User), ct)))
            .RecordsCaseAccess("case-read");

        reads.MapGet("/cases/{caseId:guid}/custody", async (Guid caseId, string? at, HttpContext http, CaseReaders readers, CaseQueries queries, CancellationToken ct) =>
        {
            DateTimeOffset? instant = null;
            if (at is not null)
            {
                // In range once converted to UTC too: 9999-12-31T23:59:59+14:00 parses but cannot be stored.
                if (!DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var parsed)
                    || parsed.UtcDateTime.Year is < 1 or > 9998)
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["at"] = ["Must be an ISO 8601 instant, e.g. 2026-03-03T14:05:00Z."] });
                instant = parsed.ToUniversalTime();
            }
            var visibility = await queries.VisibilityAsync(caseId, readers.For(http.User), ct);
            if (visibility != CaseVisibility.Visible)
                return NotFound(http, caseId, visibility);
            var timeline = await queries.CustodyAsync(caseId, instant, ct);
            return instant is null
                ? Results.Ok(timeline)
                : timeline.Count == 1 ? Results.Ok(timeline[0]) : Results.Problem(statusCode: 404, title: "No owner at that instant",
                    detail: "The case had not been received yet at that instant.");
        }).RecordsCaseAccess("custody-read");

        api.MapGet("/me/inbox", async (ClaimsPrincipal user, CaseReaders readers, CaseQueries queries, DirectoryCache directory, CancellationToken ct) =>
        {
            var me = user.PersonId();
            var view = new Directory.OrgChartDirectoryView(directory.Chart);
            var myUnits = directory.Chart.Units.Where(u => view.MayActForUnit(me, u.Id)).Select(u => u.Id).ToList();
            var cases = await queries.ListAsync(new CaseFilter(OwnerId: me, Status: "open"), readers.For(user), 500, 0, ct);
            var handoffs = await queries.HandoffsAwaitingAsync(me, myUnits, ct);
            return Results.Ok(new
            {
                personId = me,
                cases,
                handoffsAwaitingMe = handoffs.Select(h => new { h.CaseId, h.CaseNumber, h.Category, h.District, h.Handoff }),
            });
        }).RecordsCaseAccess("inbox-read");

        api.MapPost("/cases/{caseId:guid}/handoffs", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithBody<HandoffRequest>(http, ct, body =>
            {
                var errors = new Dictionary<string, string[]>();
                if ((body.ToPersonId is null) == (body.ToUnitId is null))
                    errors["toPersonId"] = ["Give exactly one of toPersonId or toUnitId."];
                RequireReason(body.Reason, errors);
                if (errors.Count > 0)
                    return Task.FromResult(Results.ValidationProblem(errors));
                var handoffId = Guid.CreateVersion7();
                var to = body.ToPersonId is not null ? CaseOwner.Person(body.ToPersonId) : CaseOwner.Unit(body.ToUnitId!);
                return commands.RunAsync(user, caseId, "handoff-requested", new CustodyCommand.RequestHandoff(handoffId, to, body.Reason!, user.PersonId()), ct,
                    _ => Results.Created($"/api/handoffs/{handoffId}", new { handoffId, caseId }));
            }));

        api.MapPost("/handoffs/{handoffId:guid}/accept", (Guid handoffId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithoutBody(http, () => commands.OnHandoffAsync(user, handoffId, "handoff-accepted", new CustodyCommand.AcceptHandoff(handoffId, user.PersonId()), ct)));
        api.MapPost("/handoffs/{handoffId:guid}/decline", (Guid handoffId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithReason(http, ct, required: true, reason =>
                commands.OnHandoffAsync(user, handoffId, "handoff-declined", new CustodyCommand.DeclineHandoff(handoffId, reason, user.PersonId()), ct)));
        api.MapPost("/handoffs/{handoffId:guid}/cancel", (Guid handoffId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithReason(http, ct, required: false, reason =>
                commands.OnHandoffAsync(user, handoffId, "handoff-cancelled", new CustodyCommand.CancelHandoff(handoffId, reason, user.PersonId()), ct)));

        api.MapPost("/cases/{caseId:guid}/acknowledge", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithoutBody(http, () => commands.RunAsync(user, caseId, "acknowledged", new CustodyCommand.Acknowledge(user.PersonId()), ct)));
        api.MapPost("/cases/{caseId:guid}/contacts", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithBody<ContactRequest>(http, ct, body =>
            {
                var errors = ValidateContact(body);
                return errors.Count > 0
                    ? Task.FromResult(Results.ValidationProblem(errors))
                    : commands.RunAsync(user, caseId, "complainant-contacted", new CustodyCommand.RecordContact(body.Method!, body.Note, user.PersonId()), ct);
            }));
        // Add an allegation (POST) or correct one that has no finding yet (PUT): each change is an event, in the trail.
        api.MapPost("/cases/{caseId:guid}/allegations", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithBody<AllegationRequest>(http, ct, body => AmendAsync(commands, user, caseId, null, body, ct)));
        api.MapPut("/cases/{caseId:guid}/allegations/{allegationId}", (Guid caseId, string allegationId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithBody<AllegationRequest>(http, ct, body => AmendAsync(commands, user, caseId, allegationId, body, ct)));
        api.MapPost("/cases/{caseId:guid}/findings", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithBody<FindingRequest>(http, ct, body =>
            {
                var errors = new Dictionary<string, string[]>();
                if (string.IsNullOrWhiteSpace(body.AllegationId))
                    errors["allegationId"] = ["Required: the allegation this finding is for."];
                if (body.Finding is not { } finding || !Findings.All.Contains(finding))
                    errors["finding"] = [$"Must be one of: {string.Join(", ", Findings.All)}."];
                return errors.Count > 0
                    ? Task.FromResult(Results.ValidationProblem(errors))
                    : commands.RunAsync(user, caseId, "finding-recorded", new CustodyCommand.RecordFinding(body.AllegationId!, body.Finding!, user.PersonId()), ct);
            }));
        api.MapPost("/cases/{caseId:guid}/resolve", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithReason(http, ct, required: false, reason => commands.RunAsync(user, caseId, "resolved", new CustodyCommand.Resolve(reason, user.PersonId()), ct)));
        api.MapPost("/cases/{caseId:guid}/reopen", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithReason(http, ct, required: true, reason => commands.RunAsync(user, caseId, "reopened", new CustodyCommand.Reopen(reason, user.PersonId()), ct)));
        api.MapPost("/cases/{caseId:guid}/reassign", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithBody<ReassignRequest>(http, ct, body =>
            {
                var errors = new Dictionary<string, string[]>();
                if (string.IsNullOrWhiteSpace(body.ToPersonId))
                    errors["toPersonId"] = ["Required: the person who takes the case."];
                RequireReason(body.Reason, errors);
                return errors.Count > 0
                    ? Task.FromResult(Results.ValidationProblem(errors))
                    : commands.RunAsync(user, caseId, "reassigned", new CustodyCommand.Reassign(body.ToPersonId!, body.Reason!, user.PersonId()), ct);
            }))
            .RequireAuthorization(policy => policy.RequireRole(Roles.Supervisor, Roles.Commander, Roles.Admin));

        // Confidential cases (issue 12): internal-affairs command names the team, or lifts it; the custody rules decide who may.
        api.MapPost("/cases/{caseId:guid}/confidential", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithBody<ConfidentialRequest>(http, ct, body =>
            {
                var errors = ValidateConfidential(body);
                return errors.Count > 0
                    ? Task.FromResult(Results.ValidationProblem(errors))
                    : commands.RunAsync(user, caseId, "marked-confidential",
                        new CustodyCommand.MarkConfidential([.. body.Team!.Select(id => id!.Trim())], body.Reason!, user.PersonId()), ct);
            }));
        api.MapPost("/cases/{caseId:guid}/confidential/lift", (Guid caseId, HttpRequest http, ClaimsPrincipal user, CaseCommands commands, CancellationToken ct) =>
            WithReason(http, ct, required: true, reason =>
                commands.RunAsync(user, caseId, "confidentiality-lifted", new CustodyCommand.LiftConfidentiality(reason, user.PersonId()), ct)));
        return app;
    }

    private const int MaxTeam = 50;

    /// <summary>The request's shape; who may be on the team (active, unconflicted) is the custody rules' call, per field too.</summary>
    public static Dictionary<string, string[]> ValidateConfidential(ConfidentialRequest body)
    {
        var errors = new Dictionary<string, string[]>();
        RequireReason(body.Reason, errors);
        if (body.Team is null)
            errors["team"] = ["Required: the person ids who may see the case (the owner is added)."];
        else if (body.Team.Count > MaxTeam)
            errors["team"] = [$"At most {MaxTeam} people."];
        else
            for (var i = 0; i < body.Team.Count; i++)
                if (body.Team[i] is not { } id || !System.Text.RegularExpressions.Regex.IsMatch(id.Trim(), "^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"))
                    errors[$"team[{i}]"] = ["Must be a person id from the directory, e.g. p-1019."];
        return errors;
    }

    private static Task<IResult> AmendAsync(CaseCommands commands, ClaimsPrincipal user, Guid caseId, string? allegationId, AllegationRequest body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Accountability.Contracts.Intake.ComplaintCategories.IsKnown(body.Type))
            errors["type"] = [$"Required; one of: {string.Join(", ", Accountability.Contracts.Intake.ComplaintCategories.All)}."];
        if (body.OfficerBadge is { Length: > 0 } badge && !System.Text.RegularExpressions.Regex.IsMatch(badge, "^[A-Za-z0-9][A-Za-z0-9-]{0,9}$"))
            errors["officerBadge"] = ["A badge number is 1 to 10 letters, digits or hyphens, starting with a letter or digit. Leave it out if it is not known."];
        if (body.OfficerDescription is { Length: > 200 })
            errors["officerDescription"] = ["At most 200 characters."];
        else if (body.OfficerDescription is { } description && description.Any(char.IsControl))
            errors["officerDescription"] = ["Must be one line of text."];
        RequireReason(body.Reason, errors);
        return errors.Count > 0
            ? Task.FromResult(Results.ValidationProblem(errors))
            : commands.RunAsync(user, caseId, "allegation-amended",
                new CustodyCommand.AmendAllegation(allegationId, body.Type!, body.OfficerBadge ?? "", body.OfficerDescription, body.Reason!, user.PersonId()), ct);
    }

    /// <summary>
    /// The badges an officer search means: the text itself as a badge, and the badge of everyone in the directory whose
    /// name contains it (leavers too: a complaint outlives a career). None matches nothing, as it should.
    /// </summary>
    public static IReadOnlyList<string> OfficerBadges(string text, OrgChart chart)
    {
        var badges = new HashSet<string>(StringComparer.Ordinal);
        if (System.Text.RegularExpressions.Regex.IsMatch(text, "^[A-Za-z0-9][A-Za-z0-9-]{0,9}$"))
            badges.Add(text.ToUpperInvariant());
        if (text.Length >= 2)
            foreach (var person in chart.People.Where(person => person.Name.Contains(text, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(person.Badge)))
                badges.Add(person.Badge.ToUpperInvariant());
        return [.. badges];
    }

    /// <summary>How: one of a fixed list, so reports can count them. What was said: optional, a few paragraphs at most.</summary>
    public static Dictionary<string, string[]> ValidateContact(ContactRequest body)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Accountability.Contracts.Custody.ContactMethods.IsKnown(body.Method))
            errors["method"] = [$"Required: how the complainant was reached, one of: {string.Join(", ", Accountability.Contracts.Custody.ContactMethods.All)}."];
        if (body.Note is { Length: > MaxNoteLength })
            errors["note"] = [$"At most {MaxNoteLength} characters."];
        else if (body.Note is { } note && note.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            errors["note"] = ["Contains a control character."];
        return errors;
    }

    private const int MaxNoteLength = 2000;

    /// <summary>Commands with a JSON body: malformed JSON, wrong types and unknown fields get field-level 400s.</summary>
    private static async Task<IResult> WithBody<T>(HttpRequest http, CancellationToken ct, Func<T, Task<IResult>> then) where T : class
    {
        var body = await JsonRequestBody.ReadAsync<T>(http, cancellationToken: ct);
        return body.IsValid ? await then(body.Value!) : body.Problem!;
    }

    /// <summary>A reason in the body: required for some commands, optional (and the body too) for others.</summary>
    private static Task<IResult> WithReason(HttpRequest http, CancellationToken ct, bool required, Func<string, Task<IResult>> then)
    {
        if (!required && HasNoBody(http))
            return then("");
        return WithBody<ReasonRequest>(http, ct, body =>
        {
            var errors = new Dictionary<string, string[]>();
            if (required)
                RequireReason(body.Reason, errors);
            return errors.Count > 0 ? Task.FromResult(Results.ValidationProblem(errors)) : then(body.Reason ?? "");
        });
    }

    /// <summary>Commands that take no body refuse one, rather than silently ignoring what the caller meant to say.</summary>
    private static Task<IResult> WithoutBody(HttpRequest http, Func<Task<IResult>> then) =>
        HasNoBody(http)
            ? then()
            : Task.FromResult(Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["This command takes no body."] }));

    private static bool HasNoBody(HttpRequest http) => http.ContentLength is null or 0 && http.ContentType is null;

    private static void RequireReason(string? reason, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(reason))
            errors["reason"] = ["Required: say why, for the record."];
        else if (reason.Length > 2000)
            errors["reason"] = ["At most 2000 characters."];
    }

    /// <summary>The same 404 whether the case is missing or withheld; only the access log tells them apart.</summary>
    private static IResult NotFound(HttpContext http, Guid caseId, CaseVisibility visibility)
    {
        if (visibility == CaseVisibility.Withheld)
            http.RecordCaseAccessWithheld();
        return CaseCommands.NoSuchCase(caseId);
    }
}
