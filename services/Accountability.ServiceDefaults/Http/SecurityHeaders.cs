using Microsoft.AspNetCore.Builder;

namespace Accountability.ServiceDefaults.Http;

/// <summary>
/// The services answer JSON, and notification also a few small public pages (the satisfaction question, the
/// opt-out). The same headers as the console's: nothing a response carries may run script, be framed, be
/// sniffed into another type, or hand its URL (with a complainant's token in it) to another site.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    });
}
