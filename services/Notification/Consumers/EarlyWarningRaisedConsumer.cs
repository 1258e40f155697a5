using Accountability.Contracts.EarlyWarning;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Notification.Consumers;

/// <summary>
/// An officer crossed an early-intervention threshold: the supervisors the warning names and internal-affairs command hear
/// of it, by e-mail or webhook as they prefer. Never the officer, and never anyone who is a subject of a counted case: the
/// escalation service leaves them out, and this checks again against our own copy of the directory, by badge.
/// The message names the officer and the threshold, never the complaints (his chain must not learn which cases name him).
/// </summary>
public sealed class EarlyWarningRaisedConsumer(NotifyingInbox inbox, Notifier notifier, IOptions<NotificationOptions> options, ILogger<EarlyWarningRaisedConsumer> logger)
    : IConsumer<EarlyWarningRaised>
{
    public Task Consume(ConsumeContext<EarlyWarningRaised> context)
    {
        var warning = context.Message;
        return inbox.ProcessOnceAsync(nameof(EarlyWarningRaisedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var excluded = warning.Cases.SelectMany(c => c.SubjectOfficerBadges).Append(warning.OfficerBadge).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var officer = warning.OfficerPersonId is { } officerId ? chart?.Person(officerId) : null;
            var parameters = new Dictionary<string, string>
            {
                ["reason"] = warning.Reason,
                ["officer"] = officer is null ? $"badge {warning.OfficerBadge}" : $"{officer.Name} (badge {warning.OfficerBadge})",
                ["policy"] = $"{warning.PolicyId} v{warning.PolicyVersion}",
                ["caseCount"] = warning.Cases.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["warningAt"] = warning.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
                // The console page where the decision is recorded, at this warning's card.
                ["warningUrl"] = options.Value.StaffPageUrl($"supervisor/warnings#w-{warning.WarningId}"),
            };
            var told = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (personId, role) in warning.SupervisorChain.Select(p => (p, Triggers.Roles.Supervisor))
                         .Concat(warning.InternalAffairsCommand.Select(p => (p, Triggers.Roles.InternalAffairs))))
            {
                var person = chart?.Person(personId);
                if (personId == warning.OfficerPersonId || (person is not null && excluded.Contains(person.Badge)))
                {
                    logger.LogWarning("Early warning {WarningId} named {PersonId}, the officer or a subject of a counted case; not told", warning.WarningId, personId);
                    continue;
                }
                if (!told.Add(personId))
                    continue;
                await notifier.ToStaffAsync(transaction, chart, personId, null, Triggers.EarlyWarning, $"early-warning:{warning.WarningId}", parameters,
                    cancellationToken, recipientRole: role);
            }
        }, context.CancellationToken);
    }
}

public sealed class EarlyWarningRaisedConsumerDefinition : RetryingConsumerDefinition<EarlyWarningRaisedConsumer>;
