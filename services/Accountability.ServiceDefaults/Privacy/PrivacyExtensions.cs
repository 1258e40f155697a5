using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Accountability.ServiceDefaults.Privacy;

public static class PrivacyExtensions
{
    /// <summary>
    /// Registers the <see cref="ContactProtector"/>, built now: a missing or malformed key stops the
    /// start with a message naming the setting, instead of failing the first complaint.
    /// </summary>
    public static WebApplicationBuilder AddContactProtection(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(PrivacyOptions.Section).Get<PrivacyOptions>() ?? new PrivacyOptions();
        builder.Services.AddSingleton(new ContactProtector(options));
        return builder;
    }
}
