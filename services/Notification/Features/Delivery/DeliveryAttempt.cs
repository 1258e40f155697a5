using System.Text.Json;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Delivery.Email;
using Accountability.Notification.Features.Delivery.Webhooks;
using Accountability.Notification.Features.Recipients;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Privacy;
using Microsoft.Extensions.Options;

namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// One attempt at one delivery: find the address (the complainant's is unsealed here, in memory,
/// and nowhere else), fill in the template, and hand it to its channel.
/// </summary>
public sealed class DeliveryAttempt(
    ContactProtector contacts, MessageTemplates templates, SmtpRelay smtp, WebhookSender webhooks,
    IOptions<NotificationOptions> options)
{
    /// <summary>
    /// <paramref name="chart"/> is the directory copy at the version the claim read (null before the first DirectoryPublished);
    /// the attempt reads nothing from the database, so the attempts of one claim run side by side.
    /// </summary>
    public async Task<SendOutcome> RunAsync(DeliveryRow delivery, OrgChartView? chart, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var trigger = Triggers.Get(delivery.Template);
        var values = trigger.Placeholders.ToDictionary(p => p, _ => "", StringComparer.Ordinal);
        foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(delivery.Parameters) ?? [])
            values[name] = value;
        values["department"] = settings.DepartmentName;

        return delivery.RecipientRole == Triggers.Roles.Complainant
            ? await ToComplainantAsync(delivery, trigger, values, cancellationToken)
            : await ToStaffAsync(chart, delivery, values, cancellationToken);
    }

    private async Task<SendOutcome> ToComplainantAsync(
        DeliveryRow delivery, Trigger trigger, Dictionary<string, string> values, CancellationToken cancellationToken)
    {
        var known = delivery.Case;
        if (known is null)
            return new SendOutcome.Retry("The complaint has not reached this service yet.");
        if (known.Anonymous || known.ContactCiphertext is null || known.ContactKeyId is null)
            return new SendOutcome.Skipped("The complainant is anonymous.");
        if (known.OptedOutAt is not null && !trigger.SurvivesOptOut)
            return new SendOutcome.Skipped("The complainant opted out of updates.");

        ComplainantContact contact;
        try
        {
            contact = contacts.Unseal(known.ContactKeyId, known.ContactCiphertext);
        }
        catch (ContactProtectionException exception)
        {
            // Its message names the key, never the contents.
            return new SendOutcome.Failed("The complainant contact could not be opened: " + exception.Message);
        }
        if (!ContactAddresses.IsValidEmail(contact.Email))
            return new SendOutcome.Failed(string.IsNullOrWhiteSpace(contact.Email)
                ? "The complainant gave no e-mail address."
                : "The complainant's e-mail address is malformed.");

        var settings = options.Value;
        values["trackingCode"] = known.TrackingCode;
        values["greeting"] = string.IsNullOrWhiteSpace(contact.Name) ? "Hello," : $"Hello {contact.Name.Trim()},";
        values["statusUrl"] = settings.PublicStatusUrl.Replace("{trackingCode}", Uri.EscapeDataString(known.TrackingCode), StringComparison.Ordinal);
        var optOutUrl = $"{settings.PublicBaseUrl.TrimEnd('/')}/api/public/opt-out/{known.OptOutToken}";
        if (trigger.Placeholders.Contains("optOutUrl"))
            values["optOutUrl"] = NotificationOptions.FillLink(settings.PublicOptOutUrl, known.OptOutToken) ?? optOutUrl;
        var headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["X-Accountability-Delivery"] = delivery.Id.ToString() };
        if (trigger.Placeholders.Contains("optOutUrl"))
        {
            // RFC 8058: mail clients show an unsubscribe button that posts to this link.
            headers["List-Unsubscribe"] = $"<{optOutUrl}>";
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
        }
        return await EmailAsync(contact.Email!, delivery, values, headers, cancellationToken);
    }

    private async Task<SendOutcome> ToStaffAsync(
        OrgChartView? chart, DeliveryRow delivery, Dictionary<string, string> values, CancellationToken cancellationToken)
    {
        if (chart is null)
            return new SendOutcome.Retry("No directory has reached this service yet (DirectoryPublished).");
        var personId = delivery.RecipientId ?? "";
        var person = chart.Person(personId);
        if (person is null)
            return new SendOutcome.Failed($"'{personId}' is not a person in directory version {chart.Version}.");
        if (!person.Active)
            return new SendOutcome.Skipped($"Person {personId} is inactive in directory version {chart.Version}.");

        values["recipientName"] = person.Name;
        values["caseId"] = delivery.CaseId?.ToString() ?? "";
        // Staff know a case by its number; a case whose filing has not reached this service yet is named by its id.
        values["caseNumber"] = delivery.CaseId is { } numbered ? delivery.Case?.CaseNumber ?? numbered.ToString() : "";
        values["caseUrl"] = delivery.CaseId is { } staffCase
            ? options.Value.StaffCaseUrl.Replace("{caseId}", staffCase.ToString(), StringComparison.Ordinal)
            : "";
        values["reasonLine"] = values.GetValueOrDefault("reason") is { } reason && !string.IsNullOrWhiteSpace(reason) ? $"Reason given: {reason}" : "";
        if (delivery.Channel == Channels.Webhook)
        {
            if (string.IsNullOrWhiteSpace(person.WebhookUrl))
                return new SendOutcome.Failed($"Person {personId} has no webhook URL in directory version {chart.Version}.");
            if (!ContactAddresses.IsValidWebhook(person.WebhookUrl))
                return new SendOutcome.Failed($"Person {personId} has a malformed webhook URL in directory version {chart.Version}.");
            if (!webhooks.IsConfigured)
                return new SendOutcome.Failed("Webhooks are not configured: set Notification:Webhooks:SigningSecret.");
            var message = templates.Render(delivery.Template, values);
            return await webhooks.SendAsync(new Uri(person.WebhookUrl), delivery.Id, delivery.Template, new
            {
                deliveryId = delivery.Id,
                template = delivery.Template,
                recipientRole = delivery.RecipientRole,
                recipientPersonId = personId,
                caseId = delivery.CaseId,
                caseNumber = values["caseNumber"],
                subject = message.Subject,
                text = message.Text,
                attempt = delivery.Attempts + 1,
            }, cancellationToken);
        }

        if (string.IsNullOrWhiteSpace(person.Email))
            return new SendOutcome.Failed($"Person {personId} has no e-mail address in directory version {chart.Version}.");
        if (!ContactAddresses.IsValidEmail(person.Email))
            return new SendOutcome.Failed($"Person {personId} has a malformed e-mail address in directory version {chart.Version}.");
        return await EmailAsync(person.Email, delivery, values,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["X-Accountability-Delivery"] = delivery.Id.ToString() }, cancellationToken);
    }

    private async Task<SendOutcome> EmailAsync(
        string to, DeliveryRow delivery, Dictionary<string, string> values, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        if (!smtp.IsConfigured)
            return new SendOutcome.Failed("E-mail is not configured: set Notification:Smtp:Host.");
        var settings = options.Value;
        var rendered = templates.Render(delivery.Template, values);
        var host = settings.Smtp.HeloName;
        // The same Message-ID on every attempt: a relay or mailbox that saw it can drop the copy.
        var message = new EmailMessage(settings.Smtp.From, to, rendered.Subject, rendered.Text, rendered.Html,
            $"{delivery.Id}@{host}", headers);
        return await smtp.SendAsync(message, cancellationToken);
    }
}
