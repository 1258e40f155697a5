using Microsoft.AspNetCore.HttpOverrides;
using Accountability.Intake.Consumers;
using Accountability.Intake.Features.FileComplaint;
using Accountability.Intake.Features.Open311;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Intake.Features.ReadComplaint;
using Accountability.Intake.Features.SearchComplaints;
using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.NeedToKnow;
using Accountability.ServiceDefaults.Privacy;
using Accountability.ServiceDefaults.Security;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Intake;

/// <summary>The wiring of the intake service: what Program.cs lists, spelled out.</summary>
public static class IntakeExtensions
{
    public const string Schema = "intake";

    public static WebApplicationBuilder AddIntake(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IntakeOptions>()
            .Bind(builder.Configuration.GetSection(IntakeOptions.Section))
            .Validate(o => { o.Validate(); return true; })
            .ValidateOnStart();
        builder.Services.AddOptions<Open311Options>().Bind(builder.Configuration.GetSection(Open311Options.Section));
        builder.AddContactProtection();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ComplaintFiler>();
        builder.Services.AddSingleton<FilingBatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FilingBatcher>());
        builder.Services.AddSingleton<ComplaintSubmission>();
        builder.Services.AddSingleton<Open311Requests>();
        CaseSightClient.Register(builder.Services, services => services.GetRequiredService<IOptions<IntakeOptions>>().Value.AssignmentUrl);

        builder.AddAccountabilityMessaging(Schema, typeof(IntakeExtensions).Assembly, bus =>
        {
            bus.AddConsumer<PublicStatusConsumer, PublicStatusConsumerDefinition>();
            bus.AddConsumer<DirectoryPublishedConsumer, DirectoryPublishedConsumerDefinition>();
        });
        builder.AddPublicRateLimits();
        return builder;
    }

    public static WebApplication MapIntakeEndpoints(this WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<IOptions<IntakeOptions>>().Value.TrustedProxies;
        if (proxies.Count > 0)
        {
            // Only the configured proxies are believed (the defaults would trust any loopback caller), and only one hop.
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var proxy in proxies)
                forwarded.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            app.Use(SingleForwardedAddressOnly(forwarded.KnownProxies));
            app.UseForwardedHeaders(forwarded);
        }
        app.UseClientRateLimits();
        app.MapOutboxOperations(Roles.Admin);
        app.MapFileComplaint();
        app.MapReadComplaint();
        app.MapSearchComplaints();
        app.MapPublicStatus();
        app.MapOpen311();
        return app;
    }

    /// <summary>
    /// A trusted proxy must name exactly one address: the client it serves (the console does). A list means it
    /// passed on what its caller wrote, and any entry of it, the last included, may be made up; believing one
    /// would give each request a new address and a new rate limit (issue 17, finding 11). Such a request
    /// counts against the proxy's own address instead.
    /// </summary>
    private static Func<HttpContext, RequestDelegate, Task> SingleForwardedAddressOnly(IList<System.Net.IPAddress> proxies) => (context, next) =>
    {
        if (context.Connection.RemoteIpAddress is { } caller && proxies.Contains(caller)
            && context.Request.Headers.TryGetValue("X-Forwarded-For", out var forwardedFor)
            && forwardedFor.Sum(value => value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length ?? 0) > 1)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Accountability.Intake.ForwardedHeaders")
                .LogWarning("A trusted proxy at {Proxy} forwarded a list of addresses; counting the request against the proxy itself", caller);
            context.Request.Headers.Remove("X-Forwarded-For");
        }
        return next(context);
    };

    /// <summary>The anonymous endpoints are limited per client address; a rejection is a 429 problem with Retry-After.</summary>
    private static void AddPublicRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddClientRateLimit(new(FileComplaintEndpoints.PublicFilingRateLimit, context => Limit(context, o => o.PublicFilingLimit), ClientAddress));
        builder.Services.AddClientRateLimit(new(PublicStatusEndpoints.PublicStatusRateLimit, context => Limit(context, o => o.PublicStatusLimit), ClientAddress));
    }

    private static ClientRateLimit Limit(HttpContext context, Func<IntakeOptions, IntakeOptions.RateLimit> pick)
    {
        var limit = pick(context.RequestServices.GetRequiredService<IOptions<IntakeOptions>>().Value);
        return new(limit.PermitLimit, limit.Window);
    }

    /// <summary>The connection's address, which the forwarded-headers step has already set for a trusted proxy's client.</summary>
    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
