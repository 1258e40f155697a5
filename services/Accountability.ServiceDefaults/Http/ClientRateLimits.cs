using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Accountability.ServiceDefaults.Http;

/// <summary>How many requests one client may make in one window.</summary>
public readonly record struct ClientRateLimit(int PermitLimit, TimeSpan Window);

/// <summary>A named limit for anonymous endpoints: what the limit is, and who counts as one client.</summary>
public sealed record ClientRateLimitPolicy(string Name, Func<HttpContext, ClientRateLimit> Limit, Func<HttpContext, string> Client);

/// <summary>
/// Fixed windows per policy and client address, counted when a request arrives. A window that has ended is
/// started again by the client's next request, and ended windows are swept by the first request after a sweep
/// is due, so nothing runs while nobody calls. ASP.NET Core's rate-limiting middleware, used before, keeps a
/// 100 ms heartbeat timer for as long as the process lives: that woke intake and audit about twenty times a
/// second with no traffic, most of their idle CPU (issue 18, target 7).
/// </summary>
public sealed class ClientRateLimiter(TimeProvider time)
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string Policy, string Client), Counter> counters = new();
    private readonly Lock sweepGate = new();
    private DateTimeOffset sweepDue = time.GetUtcNow() + SweepEvery;

    /// <summary>How many clients have a window open or not yet swept (for tests).</summary>
    public int Tracked => counters.Count;

    /// <summary>Counts one request; false, with the time left in the client's window, when it is over the limit.</summary>
    public bool TryAcquire(string policy, string client, ClientRateLimit limit, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        SweepIfDue(now);
        var counter = counters.GetOrAdd((policy, client), static _ => new Counter());
        lock (counter)
        {
            if (now >= counter.WindowEnds)
            {
                counter.WindowEnds = now + limit.Window;
                counter.Count = 0;
            }
            if (counter.Count < limit.PermitLimit)
            {
                counter.Count++;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = counter.WindowEnds - now;
            return false;
        }
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        if (now < sweepDue || !sweepGate.TryEnter())
            return;
        try
        {
            sweepDue = now + SweepEvery;
            foreach (var entry in counters)
            {
                bool ended;
                lock (entry.Value)
                    ended = now >= entry.Value.WindowEnds;
                // Only this entry, so a counter another request just put in its place stays.
                if (ended)
                    counters.TryRemove(entry);
            }
        }
        finally
        {
            sweepGate.Exit();
        }
    }

    private sealed class Counter
    {
        public DateTimeOffset WindowEnds;
        public int Count;
    }
}

public static class ClientRateLimitExtensions
{
    /// <summary>Registers a named limit; endpoints opt in with <see cref="RequireClientRateLimit"/>.</summary>
    public static IServiceCollection AddClientRateLimit(this IServiceCollection services, ClientRateLimitPolicy policy)
    {
        services.TryAddSingleton(sp => new ClientRateLimiter(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton(policy);
        return services;
    }

    /// <summary>Limits this endpoint by the named policy, per client.</summary>
    public static TBuilder RequireClientRateLimit<TBuilder>(this TBuilder builder, string policy) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ClientRateLimitMetadata(policy));

    /// <summary>
    /// After routing and before the endpoint: a request over its client's limit gets 429 problem+json with
    /// Retry-After (whole seconds, at least 1), and the endpoint does not run.
    /// </summary>
    public static IApplicationBuilder UseClientRateLimits(this IApplicationBuilder app)
    {
        var limiter = app.ApplicationServices.GetRequiredService<ClientRateLimiter>();
        var policies = app.ApplicationServices.GetServices<ClientRateLimitPolicy>().ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
        return app.Use(next => async context =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ClientRateLimitMetadata>() is not { } required)
            {
                await next(context);
                return;
            }
            if (!policies.TryGetValue(required.Policy, out var policy))
                throw new InvalidOperationException($"The endpoint {context.GetEndpoint()?.DisplayName} asks for the rate limit '{required.Policy}', which is not registered.");
            if (limiter.TryAcquire(policy.Name, policy.Client(context), policy.Limit(context), out var retryAfter))
            {
                await next(context);
                return;
            }
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                detail: "Too many requests from this address; wait a little and try again.").ExecuteAsync(context);
        });
    }

    private sealed record ClientRateLimitMetadata(string Policy);
}
