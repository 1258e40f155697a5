using System.Text.Json;

namespace Accountability.Console.Live;

public static class LiveEndpoints
{
    /// <summary>
    /// GET /live/cases: server-sent events, one "case" event per change, and a comment every 15 s so
    /// proxies keep the stream open. The browser's EventSource reconnects by itself after a drop.
    /// An event says only that something changed and when: not which case, nor what happened. The page
    /// then fetches its rows again through the services, which apply need-to-know and log the read, so the
    /// stream itself tells no one, a subject officer included, that a case exists (issue 17, finding 9).
    /// </summary>
    public static IEndpointRouteBuilder MapLiveUpdates(this IEndpointRouteBuilder app)
    {
        app.MapGet("/live/cases", async (HttpContext http, CustodyFeed feed, CancellationToken ct) =>
        {
            // Subscribed before the browser hears "connected": a change right after the stream opens is not missed.
            using var subscription = feed.Subscribe();
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            await http.Response.WriteAsync(": connected\n\n", ct);
            await http.Response.Body.FlushAsync(ct);

            using var heartbeat = new PeriodicTimer(TimeSpan.FromSeconds(15));
            var nextChange = subscription.Changes.WaitToReadAsync(ct).AsTask();
            var nextBeat = heartbeat.WaitForNextTickAsync(ct).AsTask();
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var done = await Task.WhenAny(nextChange, nextBeat);
                    if (done == nextBeat)
                    {
                        await http.Response.WriteAsync(": keep-alive\n\n", ct);
                        nextBeat = heartbeat.WaitForNextTickAsync(ct).AsTask();
                    }
                    else
                    {
                        if (!await nextChange)
                            break;
                        while (subscription.Changes.TryRead(out var change))
                            await http.Response.WriteAsync($"event: case\ndata: {JsonSerializer.Serialize(new { at = change.At }, JsonSerializerOptions.Web)}\n\n", ct);
                        nextChange = subscription.Changes.WaitToReadAsync(ct).AsTask();
                    }
                    await http.Response.Body.FlushAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The browser went away; the subscription ends with this scope.
            }
        }).RequireAuthorization(policy => policy.RequireRole([.. Accountability.Console.SignIn.ConsoleUser.BoardRoles, .. Accountability.Console.SignIn.ConsoleUser.InboxRoles]));
        return app;
    }
}
