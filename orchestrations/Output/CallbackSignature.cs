using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// The signature of a callback, when <c>Vace:CallbackSecret</c> is set: <c>X-Vace-Signature: t=UNIXSECONDS,v1=HEX</c>,
/// where HEX is the lowercase hex HMAC-SHA256, keyed with the secret (UTF-8), of <c>{t}.{body}</c> — the timestamp, a
/// dot and the body's exact bytes. Signing the timestamp with the body lets a receiver refuse a captured request
/// replayed later: <see cref="Verify(string, string?, ReadOnlySpan{byte}, DateTimeOffset, TimeSpan)"/> accepts it only
/// within a window of its time (<see cref="DefaultWindow"/>, 5 minutes, recommended). Each delivery attempt is signed
/// afresh, so a retried callback carries its own time.
/// </summary>
public static class CallbackSignature
{
    public const string HeaderName = "X-Vace-Signature";

    /// <summary>How far a signature's time may be from the receiver's clock, either way, for it to be accepted.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    private const string TimestampKey = "t";
    private const string SignatureKey = "v1";

    // A header longer than this is not one of ours; it is refused before any parsing work.
    private const int MaxHeaderLength = 512;

    /// <summary>The header value for <paramref name="body"/> sent at <paramref name="timestamp"/>.</summary>
    public static string Create(string secret, DateTimeOffset timestamp, string body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(body);
        var seconds = timestamp.ToUnixTimeSeconds();
        return $"{TimestampKey}={seconds.ToString(CultureInfo.InvariantCulture)},{SignatureKey}={Convert.ToHexStringLower(Compute(secret, seconds, Encoding.UTF8.GetBytes(body)))}";
    }

    /// <summary>Verifies a callback whose body was read as text (UTF-8).</summary>
    public static bool Verify(string secret, string? header, string body, DateTimeOffset now, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Verify(secret, header, Encoding.UTF8.GetBytes(body), now, window);
    }

    /// <summary>
    /// True when <paramref name="header"/> (the <see cref="HeaderName"/> value) is a signature of <paramref name="body"/>
    /// (the request's raw bytes) with <paramref name="secret"/>, made no further than <paramref name="window"/> from
    /// <paramref name="now"/>. A header with several <c>v1</c> values passes when one matches. Comparisons take constant
    /// time; a missing, malformed or stale header is simply false.
    /// </summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan window)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (header is not { Length: > 0 and <= MaxHeaderLength })
        {
            return false;
        }

        long? seconds = null;
        var candidates = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return false;
            }

            var (key, value) = (part[..equals], part[(equals + 1)..]);
            if (key == TimestampKey)
            {
                if (seconds is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                {
                    return false;
                }

                seconds = parsed;
            }
            else if (key == SignatureKey && value.Length == 64 && value.All(char.IsAsciiHexDigit))
            {
                candidates.Add(Convert.FromHexString(value));
            }
        }

        if (seconds is not { } t || t > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || (now - DateTimeOffset.FromUnixTimeSeconds(t)).Duration() > window)
        {
            return false;
        }

        var expected = Compute(secret, t, body);
        var matched = false;
        foreach (var candidate in candidates)
        {
            matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
        }

        return matched;
    }

    private static byte[] Compute(string secret, long seconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(seconds.ToString(CultureInfo.InvariantCulture) + ".");
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
