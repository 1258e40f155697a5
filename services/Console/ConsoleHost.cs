using Accountability.Console.Backend;
using Accountability.Console.Live;
using Accountability.Console.SignIn;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults;
using Accountability.ServiceDefaults.Health;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Accountability.Console;

public static class ConsoleHost
{
    /// <summary>Largest form the console accepts. Above intake's own limits, so an over-long narrative gets intake's field-level reason, not a bare 413.</summary>
    public const long MaxFormBytes = 2 * 1024 * 1024;

    /// <summary>Options, sign-in, the backend clients, live updates over the broker, health.</summary>
    public static WebApplicationBuilder AddAccountabilityConsole(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var options = builder.Configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();
        options.Validate(builder.Environment.IsDevelopment());
        services.AddOptions<ConsoleOptions>().Bind(builder.Configuration.GetSection(ConsoleOptions.Section));
        services.AddSingleton(new ServiceIdentity("console"));
        builder.AddAccountabilityTelemetry("console");

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxFormBytes);
        services.Configure<FormOptions>(form => form.ValueLengthLimit = (int)MaxFormBytes);

        AddSignIn(builder, options);
        AddBackend(services, options);
        AddLiveUpdates(builder);

        services.AddRazorPages(pages =>
        {
            pages.Conventions.AuthorizeFolder("/Board", nameof(ConsoleUser.BoardRoles));
            pages.Conventions.AuthorizeFolder("/Inbox", nameof(ConsoleUser.InboxRoles));
            pages.Conventions.AuthorizeFolder("/Cases", nameof(ConsoleUser.CaseRoles));
            pages.Conventions.AuthorizeFolder("/Supervisor", nameof(ConsoleUser.SupervisorRoles));
            pages.Conventions.AuthorizeFolder("/Audit", nameof(ConsoleUser.AuditorRoles));
            pages.Conventions.AuthorizeFolder("/Intake", nameof(ConsoleUser.IntakeRoles));
            pages.Conventions.AuthorizeFolder("/Officers", nameof(ConsoleUser.OfficerHistoryRoles));
        });
        services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    private static void AddSignIn(WebApplicationBuilder builder, ConsoleOptions options)
    {
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (options.DevelopmentSignIn)
            _ = auth.SigningKeyBytes(); // the development sign-in signs its tokens with the services' local key: fail now if there is none
        builder.Services.AddSingleton(auth);
        AddDataProtection(builder, options.DataProtection);
        builder.Services.AddConsoleSignIn(options);
        builder.Services.AddAuthorization(authorization =>
        {
            foreach (var (name, roles) in new[]
                     {
                         (nameof(ConsoleUser.BoardRoles), ConsoleUser.BoardRoles), (nameof(ConsoleUser.InboxRoles), ConsoleUser.InboxRoles),
                         (nameof(ConsoleUser.CaseRoles), ConsoleUser.CaseRoles), (nameof(ConsoleUser.SupervisorRoles), ConsoleUser.SupervisorRoles),
                         (nameof(ConsoleUser.AuditorRoles), ConsoleUser.AuditorRoles), (nameof(ConsoleUser.IntakeRoles), ConsoleUser.IntakeRoles),
                         (nameof(ConsoleUser.OfficerHistoryRoles), ConsoleUser.OfficerHistoryRoles),
                     })
                authorization.AddPolicy(name, policy => policy.RequireAuthenticatedUser().RequireRole(roles));
        });
    }

    /// <summary>The keys that seal the session cookie: shared and encrypted at rest when configured (see <see cref="ConsoleOptions.DataProtectionSettings"/>).</summary>
    private static void AddDataProtection(WebApplicationBuilder builder, ConsoleOptions.DataProtectionSettings settings)
    {
        var protection = builder.Services.AddDataProtection().SetApplicationName("accountability-console");
        if (!string.IsNullOrWhiteSpace(settings.KeysPath))
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(settings.KeysPath));
            if (!string.IsNullOrWhiteSpace(settings.CertificatePath))
                protection.ProtectKeysWithCertificate(
                    System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(settings.CertificatePath, settings.CertificatePassword));
        }
        else if (!builder.Environment.IsDevelopment())
        {
            // Nothing on disk at all rather than keys in plain text in the service account's profile.
            builder.Services.AddSingleton<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(
                new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider());
        }
    }

    private static void AddBackend(IServiceCollection services, ConsoleOptions options)
    {
        services.AddHttpContextAccessor();
        services.AddMemoryCache();
        foreach (var service in Enum.GetValues<Service>())
        {
            var baseAddress = service switch
            {
                Service.Intake => options.Services.Intake,
                Service.Assignment => options.Services.Assignment,
                Service.Escalation => options.Services.Escalation,
                Service.Notification => options.Services.Notification,
                _ => options.Services.Audit,
            };
            // Short: a page waits on these, and a person would rather read "not answering" than watch a spinner.
            services.AddHttpClient(service.ToString(), http => { http.BaseAddress = baseAddress; http.Timeout = TimeSpan.FromSeconds(15); });
        }
        services.AddScoped<ServiceApi>();
        services.AddScoped<DirectoryClient>();
    }

    private static void AddLiveUpdates(WebApplicationBuilder builder)
    {
        builder.Services.AddBrokerSettingsAndReadiness(builder.Configuration);
        builder.Services.AddSingleton<CustodyFeed>();
        builder.Services.AddMassTransit(bus =>
        {
            bus.AddConsumer<CaseChangeConsumer, CaseChangeConsumerDefinition>().Endpoint(endpoint =>
            {
                // Every console instance hears every change, so each needs a queue of its own, gone when it stops.
                endpoint.Name = $"console-live-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}-{Guid.NewGuid():N}";
                endpoint.Temporary = true;
            });
            bus.UseAccountabilityBroker();
        });
    }

    /// <summary>Error pages, security headers, sign-in, pages, live updates, health.</summary>
    public static WebApplication UseAccountabilityConsole(this WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.TrustedProxies;
        if (proxies.Count > 0)
        {
            // Only the configured proxies, one hop: behind TLS the request is https and the cookie Secure (issue 17, finding 11).
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = 1 };
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var proxy in proxies)
                forwarded.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            app.UseForwardedHeaders(forwarded);
        }
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/error",
            // A request the framework refused (a body over the limit, a malformed form) is the sender's mistake.
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePagesWithReExecute("/error", "?status={0}");
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            // No inline script, no other origin: whatever a complainant typed can never run in an investigator's browser.
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            // Tracking codes and case ids travel in URLs: never hand them to another site.
            headers["Referrer-Policy"] = "no-referrer";
            await next(context);
        });
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapConsoleSignIn(app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value);
        app.MapLiveUpdates();
        app.MapAccountabilityHealth();
        app.MapEndpointList(policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        return app;
    }
}
