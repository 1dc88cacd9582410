using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace VaceFunctions.Local.Http;

/// <summary>
/// The jobs dashboard at <c>/</c>: a plain HTML page, its script and its style sheet, embedded in this assembly and
/// served as they are (nothing to install or build, no third-party origin, so it works offline). The page holds no
/// data: everything it shows comes from <c>/api/jobs</c> under the API's own access rules (<see cref="ApiKeyring"/>),
/// and when the API refuses it, the page asks for a key and sends it as the <c>x-api-key</c> header.
/// </summary>
public static class JobsDashboard
{
    /// <summary>
    /// What the page may load: only this host's script, styles and API, and videos from anywhere — the owned storage's
    /// read SAS URLs, whatever the account's endpoint.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; media-src http: https:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
        ("/dashboard/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Maps the dashboard's files; call once, on the built application.</summary>
    public static WebApplication MapJobsDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var (path, resource, contentType) in Files)
        {
            var content = Read(resource);
            app.MapGet(path, (HttpResponse response) =>
            {
                var headers = response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
                return Results.Bytes(content, contentType);
            }).ExcludeFromDescription();
        }

        return app;
    }

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Dashboard/" + resource)
            ?? throw new InvalidOperationException($"The dashboard's {resource} is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
