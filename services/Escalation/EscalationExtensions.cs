using Accountability.Escalation.Consumers;
using Accountability.Escalation.Data;
using Accountability.Escalation.Features.Calendar;
using Accountability.Escalation.Features.Clocks;
using Accountability.Escalation.Features.EarlyWarning;
using Accountability.Escalation.Features.Escalations;
using Accountability.Escalation.Features.GapMonitor;
using Accountability.Escalation.Features.Policies;
using Accountability.Escalation.Features.TestClock;
using Accountability.Escalation.Features.Timers;
using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.NeedToKnow;
using Accountability.ServiceDefaults.Security;
using MassTransit;

namespace Accountability.Escalation;

/// <summary>The wiring of the escalation service: what Program.cs lists, spelled out.</summary>
public static class EscalationExtensions
{
    public const string DefaultSchema = "escalation";

    public static WebApplicationBuilder AddEscalation(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(EscalationOptions.Section).Get<EscalationOptions>() ?? new EscalationOptions();
        options.Validate();
        builder.Services.AddOptions<EscalationOptions>().Bind(builder.Configuration.GetSection(EscalationOptions.Section));

        // Read and checked before anything starts: a broken calendar or policy file stops the start with its reasons.
        builder.Services.AddSingleton(CalendarSettings.Load(EscalationOptions.ResolvePath(options.CalendarPath)));
        var (policySettings, defaults) = DefaultPoliciesFile.Load(EscalationOptions.ResolvePath(options.PoliciesPath));
        builder.Services.AddSingleton(policySettings);
        builder.Services.AddSingleton(defaults);
        builder.Services.AddSingleton(ThresholdPolicyFile.Load(EscalationOptions.ResolvePath(options.EarlyWarningPath)));

        if (options.ManualClock)
        {
            var clock = new ManualTimeProvider(options.ClockStart ?? DateTimeOffset.UtcNow);
            builder.Services.AddSingleton(clock);
            builder.Services.AddSingleton<TimeProvider>(clock);
        }
        else
            builder.Services.AddSingleton(TimeProvider.System);

        builder.Services.AddSingleton<TimerWakeUp>();
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<CaseClockStore>();
        builder.Services.AddSingleton<CaseUpdateWriter>();
        builder.Services.AddSingleton<GapMetrics>();
        builder.Services.AddSingleton<EarlyWarningStore>();

        builder.AddAccountabilityMessaging(options.Schema, typeof(EscalationExtensions).Assembly, bus =>
        {
            bus.AddConsumer<CaseEventsConsumer, CaseEventsConsumerDefinition>();
            bus.AddConsumer<DirectoryPublishedConsumer, DirectoryPublishedConsumerDefinition>();
            bus.AddConsumer<EarlyWarningConsumer, EarlyWarningConsumerDefinition>();
        });
        // After messaging, so the schema is migrated first.
        builder.Services.AddSingleton<DefaultPoliciesSeeder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DefaultPoliciesSeeder>());
        builder.Services.AddHostedService<TimerPoller>();
        // Clock reads ask assignment who may see a case (need-to-know), with the caller's own token.
        CaseSightClient.Register(builder.Services, _ => new Uri(options.AssignmentUrl));
        if (options.GapMonitorEnabled)
        {
            builder.Services.AddHttpClient<AssignmentClient>(http => http.Timeout = TimeSpan.FromSeconds(30));
            builder.Services.AddHostedService<GapMonitor>();
        }
        return builder;
    }

    public static WebApplication MapEscalationEndpoints(this WebApplication app)
    {
        app.MapClockEndpoints();
        app.MapEscalationList();
        app.MapPolicyEndpoints();
        app.MapGapMonitor();
        app.MapEarlyWarnings();
        app.MapOfficerHistory();
        if (app.Services.GetService<ManualTimeProvider>() is not null)
            app.MapTestClock();
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
