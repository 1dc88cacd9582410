using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Local.Http;

/// <summary>
/// Who calls the HTTP API: the client whose key the request presents (<see cref="HttpApiOptions.Keys"/>, compared by
/// SHA-256 hash in constant time), a caller on this machine (<see cref="HttpApiOptions.TrustLoopback"/>: from a
/// loopback address, through no proxy), or a stranger. The keys are read again each time the configuration reloads.
/// Keys never reach a log; client names do.
/// </summary>
public sealed partial class ApiKeyring : IDisposable
{
    /// <summary>What a configured hash starts with.</summary>
    public const string HashPrefix = "sha256:";

    /// <summary>Headers a proxy adds: a request with any of them is not a local caller's, whatever its address.</summary>
    private static readonly string[] ProxyHeaders =
    [
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix",
        "X-Original-For", "X-Real-IP", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "X-Cluster-Client-IP", "Via",
    ];

    private static readonly object CallerItem = new();

    private readonly ILogger<ApiKeyring> _logger;
    private readonly IDisposable? _subscription;
    private volatile Keys _keys;

    public ApiKeyring(IOptionsMonitor<HttpApiOptions> options, ILogger<ApiKeyring> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _keys = Load(options.CurrentValue);
        _subscription = options.OnChange(changed => _keys = Load(changed));
    }

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

    /// <summary>A new key: 32 random bytes, base64url, prefixed so it is recognisable in a secret scanner.</summary>
    public static string NewKey() => "vace_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The configured form of a key: <see cref="HashPrefix"/> and the hex SHA-256 of its UTF-8 bytes.</summary>
    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return HashPrefix + Convert.ToHexStringLower(HashOf(key));
    }

    public void Dispose() => _subscription?.Dispose();

    private ApiCaller IdentifyAnew(HttpContext context)
    {
        var keys = _keys;
        var remote = context.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.RemoteIpAddress;
        var stranger = new ApiCaller(false, "address:" + remote);
        if (PresentedKey(context.Request.Headers) is { } presented)
        {
            // Every entry is compared, so the time taken tells nothing about which (or whether one) matched.
            var hash = HashOf(presented);
            string? client = null;
            foreach (var (name, expected) in keys.Entries)
            {
                if (CryptographicOperations.FixedTimeEquals(hash, expected))
                {
                    client = name;
                }
            }

            if (client is null)
            {
                Log.KeyRefused(_logger, remote, context.Request.Path.Value ?? "");
                return stranger;
            }

            return new ApiCaller(true, "client:" + client);
        }

        var local = keys.TrustLoopback && remote is not null && IPAddress.IsLoopback(remote)
            && !ProxyHeaders.Any(context.Request.Headers.ContainsKey);
        return local ? new ApiCaller(true, "loopback") : stranger;
    }

    private static string? PresentedKey(IHeaderDictionary headers)
    {
        var key = headers["x-api-key"].FirstOrDefault() ?? headers["x-functions-key"].FirstOrDefault();
        if (key is null && headers.Authorization.FirstOrDefault() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization[7..].Trim();
        }

        return string.IsNullOrEmpty(key) ? null : key;
    }

    private static byte[] HashOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private Keys Load(HttpApiOptions options)
    {
        var entries = new List<(string, byte[])>();
        foreach (var (client, value) in options.Keys)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            var hex = value.Trim();
            if (hex.StartsWith(HashPrefix, StringComparison.OrdinalIgnoreCase) && hex.Length == HashPrefix.Length + 64
                && hex[HashPrefix.Length..].All(char.IsAsciiHexDigit))
            {
                entries.Add((client, Convert.FromHexString(hex.AsSpan(HashPrefix.Length))));
            }
            else
            {
                Log.KeyUnreadable(_logger, client);
            }
        }

        var clients = string.Join(", ", entries.Select(e => e.Item1));
        Log.KeysLoaded(_logger, entries.Count, clients, options.TrustLoopback);
        return new Keys(options.TrustLoopback, [.. entries]);
    }

    private sealed record Keys(bool TrustLoopback, (string Client, byte[] Hash)[] Entries);

    private static partial class Log
    {
        [LoggerMessage(EventId = 6200, Level = LogLevel.Information, Message = "HTTP API keys: {Count} ({Clients}); loopback trusted: {TrustLoopback}")]
        public static partial void KeysLoaded(ILogger logger, int count, string clients, bool trustLoopback);

        [LoggerMessage(EventId = 6201, Level = LogLevel.Error,
            Message = "Vace:Http:Keys:{Client} is not sha256: and 64 hex digits; that client is refused until it is (vace key new makes one)")]
        public static partial void KeyUnreadable(ILogger logger, string client);

        [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "A key no client has was presented from {RemoteAddress} for {Path}")]
        public static partial void KeyRefused(ILogger logger, IPAddress? remoteAddress, string path);
    }
}
