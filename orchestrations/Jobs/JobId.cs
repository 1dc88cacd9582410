using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// Job ids: the idempotency key of a job and the instance id of its orchestration. A given id is 1–64
/// characters of <c>[A-Za-z0-9_-]</c>; without one, the id is derived from a hash of the document's canonical
/// JSON, so the same document delivered twice is one job.
/// </summary>
public static partial class JobId
{
    public const int MaxLength = 64;

    /// <summary>The prefix of derived ids, followed by 32 hex digits (128 bits of SHA-256).</summary>
    public const string DerivedPrefix = "job-";

    public static bool IsValid(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>The id of a document that has none: stable across key order, whitespace and escapes.</summary>
    public static string Derive(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var hash = SHA256.HashData(CanonicalJson.ToUtf8Bytes(document));
        return DerivedPrefix + Convert.ToHexStringLower(hash, 0, 16);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
