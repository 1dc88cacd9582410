using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Local.Http;

/// <summary>Who calls the embedded host's HTTP API: a client by its key, a caller on this machine, or a stranger.</summary>
/// <remarks>
/// <para>A key one of the <see cref="ClientKeys"/> has makes the caller that client, wherever it calls from.</para>
/// <para>
/// A caller on this machine (with <see cref="HttpApiOptions.TrustLoopback"/>) needs no key, and a key no client has
/// does not make it a stranger (a DashScope sample sends its DashScope key; the host logs that it ignored one, never
/// the key). A request is this machine's only when all of these hold, so that no web page the operator visits can
/// drive the API: it arrived from a loopback address, through no proxy (no <c>Forwarded</c>, <c>X-Forwarded-For</c>,
/// …); its <c>Host</c> is a loopback name or address (<c>localhost</c>, <c>*.localhost</c>, <c>127.0.0.1</c>,
/// <c>[::1]</c>, any port — a page whose name was rebound to 127.0.0.1 sends its own); and it is not cross-site (no
/// <c>Sec-Fetch-Site</c> of <c>cross-site</c> or <c>same-site</c>, no <c>Origin</c> but the host's own).
/// </para>
/// </remarks>
public sealed partial class ApiKeyring(ClientKeys keys, ILogger<ApiKeyring> logger)
{
    /// <summary>Headers a proxy adds: a request with any of them is not a local caller's, whatever its address.</summary>
    private static readonly string[] ProxyHeaders =
    [
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix",
        "X-Original-For", "X-Real-IP", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP",
        "X-Cluster-Client-IP", "Via",
    ];

    private static readonly object CallerItem = new();

    /// <summary>
    /// The caller of this request, worked out once per request: admitted or not, and the partition its job creations
    /// are counted in (the client's name; every caller on this machine together; a stranger by address).
    /// </summary>
    public ApiCaller Identify(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(CallerItem, out var known) && known is ApiCaller caller)
        {
            return caller;
        }

        caller = IdentifyAnew(context);
        context.Items[CallerItem] = caller;
        return caller;
    }

    /// <summary>Whether <paramref name="host"/> (a <c>Host</c> header's name, without its port) names this machine.</summary>
    public static bool IsLoopbackName(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address) && host.Count(c => c == '.') is 0 or 3);
    }

    /// <summary>Warns of each address the host listens on beyond this machine while callers on this machine need no key.</summary>
    public void WarnIfListeningBeyondLoopback(IEnumerable<string> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        if (!keys.TrustLoopback)
        {
            return;
        }

        foreach (var url in urls)
        {
            // An address that is not a URL (http://+:7071) names no one host: it listens beyond loopback too.
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !IsLoopbackName(uri.Host))
            {
                Log.ListensBeyondLoopback(logger, url);
            }
        }
    }

    private ApiCaller IdentifyAnew(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped
            ? mapped.MapToIPv4()
            : context.Connection.RemoteIpAddress;
        var presented = ClientKeys.Presented(context.Request.Headers);
        if (presented is not null && keys.ClientOf(presented) is { } client)
        {
            return new ApiCaller(true, "client:" + client);
        }

        var path = context.Request.Path.Value ?? "";
        if (keys.TrustLoopback && remote is not null && IPAddress.IsLoopback(remote) && IsFromThisMachine(context.Request))
        {
            if (presented is not null)
            {
                Log.UnknownKeyIgnored(logger, path);
            }

            return new ApiCaller(true, "loopback");
        }

        if (presented is not null)
        {
            Log.KeyRefused(logger, remote, path);
        }

        return new ApiCaller(false, "address:" + remote);
    }

    /// <summary>No proxy passed the request on, its Host names this machine, and no other site sent it.</summary>
    private static bool IsFromThisMachine(HttpRequest request)
    {
        var headers = request.Headers;
        if (ProxyHeaders.Any(headers.ContainsKey) || !request.Host.HasValue || !IsLoopbackName(request.Host.Host))
        {
            return false;
        }

        var site = headers["Sec-Fetch-Site"];
        if (Has(site, "cross-site") || Has(site, "same-site"))
        {
            return false;
        }

        var origin = headers.Origin;
        return StringValues.IsNullOrEmpty(origin)
            || origin.All(o => string.Equals(o, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase));
    }

    private static bool Has(StringValues values, string value) =>
        values.Any(v => string.Equals(v?.Trim(), value, StringComparison.OrdinalIgnoreCase));

    private static partial class Log
    {
        [LoggerMessage(EventId = 6202, Level = LogLevel.Information,
            Message = "A key no client has was presented from {RemoteAddress} for {Path}")]
        public static partial void KeyRefused(ILogger logger, IPAddress? remoteAddress, string path);

        [LoggerMessage(EventId = 6204, Level = LogLevel.Warning,
            Message = "The HTTP API listens on {Url}, beyond this machine, while callers on this machine need no key: "
                + "a reverse proxy there must add Forwarded or X-Forwarded-For, or set Vace__Http__TrustLoopback=false")]
        public static partial void ListensBeyondLoopback(ILogger logger, string url);

        [LoggerMessage(EventId = 6203, Level = LogLevel.Information,
            Message = "A caller on this machine presented a key no client has, for {Path}: ignored (no key is needed here)")]
        public static partial void UnknownKeyIgnored(ILogger logger, string path);
    }
}
