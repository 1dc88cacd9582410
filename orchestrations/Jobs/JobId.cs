using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// Job ids: the idempotency key of a job and the instance id of its orchestration. A given id is 1–64
/// characters of <c>[A-Za-z0-9_-]</c>, not starting with one of the <see cref="ReservedPrefixes"/>; without one, the id
/// is derived from a hash of the document's canonical JSON, so the same document delivered twice is one job.
/// </summary>
public static partial class JobId
{
    public const int MaxLength = 64;

    /// <summary>The prefix of derived ids, followed by 32 hex digits (128 bits of SHA-256).</summary>
    public const string DerivedPrefix = "job-";

    /// <summary>The prefix of ids given to one request each (<see cref="Fresh"/>), followed by 32 hex digits.</summary>
    public const string FreshPrefix = "task-";

    /// <summary>The prefix of ids derived from a client's idempotency key (<see cref="FromIdempotencyKey"/>).</summary>
    public const string IdempotentPrefix = "idem-";

    /// <summary>The prefixes of the ids the host derives: a client's own id may not start with one, so it can never take a derived id's place.</summary>
    public static IReadOnlyList<string> ReservedPrefixes { get; } = [DerivedPrefix, FreshPrefix, IdempotentPrefix];

    /// <summary>True when <paramref name="id"/> starts with a prefix the host derives ids with.</summary>
    public static bool IsReserved(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ReservedPrefixes.Any(prefix => id.StartsWith(prefix, StringComparison.Ordinal));
    }

    public static bool IsValid(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>
    /// The id of a document that has none: stable across key order, whitespace and escapes, and the trace it was sent
    /// in (its <c>traceparent</c>), so the same document sent again from another trace is the same job.
    /// </summary>
    public static string Derive(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document.ContainsKey(JobFields.TraceParent))
        {
            document = (JsonObject)document.DeepClone();
            document.Remove(JobFields.TraceParent);
        }

        var hash = SHA256.HashData(CanonicalJson.ToUtf8Bytes(document));
        return DerivedPrefix + Convert.ToHexStringLower(hash, 0, 16);
    }

    /// <summary>A new id for a request that is a new job every time it is sent (a version 7 GUID: time-ordered, unique).</summary>
    public static string Fresh() => FreshPrefix + Guid.CreateVersion7().ToString("N");

    /// <summary>
    /// The id of a document sent with an idempotency key: <see cref="IdempotencyKeyPrefix"/> of the key, then 24 hex
    /// digits of the document's hash (as <see cref="Derive"/>), so the same key with the same document is one job,
    /// and the same key with another document is told apart by its prefix.
    /// </summary>
    public static string FromIdempotencyKey(string key, JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(key);
        return string.Concat(IdempotencyKeyPrefix(key), Derive(document).AsSpan(DerivedPrefix.Length, 24));
    }

    /// <summary>The start every id derived from this idempotency key shares: <c>idem-</c>, 24 hex digits of its SHA-256, <c>-</c>.</summary>
    public static string IdempotencyKeyPrefix(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return IdempotentPrefix + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)), 0, 12) + "-";
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
