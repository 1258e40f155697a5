using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Accountability.Notification.Features.Delivery.Webhooks;

/// <summary>Posts a notification as signed JSON. The delivery id header lets the receiver drop a repeat.</summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptions<NotificationOptions> options, TimeProvider time)
{
    public const string ClientName = "webhooks";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public bool IsConfigured => !string.IsNullOrEmpty(options.Value.Webhooks.SigningSecret);

    public async Task<SendOutcome> SendAsync(Uri url, Guid deliveryId, string template, object payload, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(payload, Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(options.Value.Webhooks.SigningSecret, time.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.Add(WebhookSignature.DeliveryHeader, deliveryId.ToString());
        request.Headers.Add(WebhookSignature.TemplateHeader, template);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Webhooks.Timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
                return new SendOutcome.Sent();
            var why = $"The webhook receiver answered {status} {response.ReasonPhrase}.";
            return status is 408 or 429 or >= 500 ? new SendOutcome.Retry(why) : new SendOutcome.Failed(why);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendOutcome.Retry($"The webhook receiver did not answer within {options.Value.Webhooks.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException exception) when (exception.InnerException is WebhookAddressRefusedException refused)
        {
            return new SendOutcome.Failed(refused.Message);
        }
        catch (HttpRequestException exception)
        {
            return new SendOutcome.Retry($"The webhook receiver could not be reached ({exception.HttpRequestError}).");
        }
    }
}
