using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>The HTTP API's clients, each known by the hash of its key (<see cref="HttpApiOptions.Keys"/>).</summary>
/// <remarks>
/// Both hosts check a presented key here: the embedded host on every route, the Functions app on its
/// DashScope-compatible face. A key is compared by SHA-256 hash in constant time against every entry, so the time
/// taken tells nothing about which (or whether one) matched. The keys are read again each time the configuration
/// reloads. Keys never reach a log; client names do.
/// </remarks>
public sealed partial class ClientKeys : IDisposable
{
    /// <summary>What a configured hash starts with.</summary>
    public const string HashPrefix = "sha256:";

    private readonly ILogger<ClientKeys> _logger;
    private readonly IDisposable? _subscription;
    private volatile Loaded _loaded;

    public ClientKeys(IOptionsMonitor<HttpApiOptions> options, ILogger<ClientKeys> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _loaded = Load(options.CurrentValue);
        _subscription = options.OnChange(changed => _loaded = Load(changed));
    }

    /// <summary>Whether a caller on this machine needs no key (<see cref="HttpApiOptions.TrustLoopback"/>), as last loaded.</summary>
    public bool TrustLoopback => _loaded.TrustLoopback;

    /// <summary>A new key: 32 random bytes, base64url, prefixed so it is recognisable in a secret scanner.</summary>
    public static string NewKey() =>
        "vace_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The configured form of a key: <see cref="HashPrefix"/> and the hex SHA-256 of its UTF-8 bytes.</summary>
    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return HashPrefix + Convert.ToHexStringLower(HashOf(key));
    }

    /// <summary>The key a request presents: <c>x-api-key</c>, <c>x-functions-key</c> or <c>Authorization: Bearer</c>.</summary>
    public static string? Presented(IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var key = headers["x-api-key"].FirstOrDefault() ?? headers["x-functions-key"].FirstOrDefault();
        if (key is null && headers.Authorization.FirstOrDefault() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization[7..].Trim();
        }

        return string.IsNullOrEmpty(key) ? null : key;
    }

    /// <summary>The name of the client whose key <paramref name="presented"/> is; null when no client has it.</summary>
    public string? ClientOf(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var hash = HashOf(presented);
        string? client = null;
        foreach (var (name, expected) in _loaded.Entries)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                client = name;
            }
        }

        return client;
    }

    public void Dispose() => _subscription?.Dispose();

    private static byte[] HashOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private Loaded Load(HttpApiOptions options)
    {
        var entries = new List<(string, byte[])>();
        var listed = (options.KeyList ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2, StringSplitOptions.TrimEntries))
            .Select(pair => KeyValuePair.Create(pair[0], pair.Length == 2 ? pair[1] : ""));
        foreach (var (client, value) in options.Keys.Concat(listed))
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
        return new Loaded(options.TrustLoopback, [.. entries]);
    }

    private sealed record Loaded(bool TrustLoopback, (string Client, byte[] Hash)[] Entries);

    private static partial class Log
    {
        [LoggerMessage(EventId = 6200, Level = LogLevel.Information,
            Message = "HTTP API keys: {Count} ({Clients}); loopback trusted: {TrustLoopback}")]
        public static partial void KeysLoaded(ILogger logger, int count, string clients, bool trustLoopback);

        [LoggerMessage(EventId = 6201, Level = LogLevel.Error,
            Message = "Vace:Http:Keys:{Client} is not sha256: and 64 hex digits; that client is refused until it is (vace key new makes one)")]
        public static partial void KeyUnreadable(ILogger logger, string client);
    }
}
