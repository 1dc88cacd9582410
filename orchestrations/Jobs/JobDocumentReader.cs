using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.IO;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// Turns raw bytes from a queue message, a blob or an HTTP body into a JSON object, refusing documents that
/// are too large, not JSON, ambiguous (duplicate property names) or not an object.
/// </summary>
public static class JobDocumentReader
{
    /// <summary>The largest job document accepted: 256 KiB of UTF-8.</summary>
    public const int MaxDocumentBytes = 256 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowDuplicateProperties = false,
        MaxDepth = 32,
    };

    /// <summary>Reads a UTF-8 document (a leading byte order mark is allowed).</summary>
    public static JobReadResult Read(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxDocumentBytes)
        {
            return TooLarge($"{utf8.Length:N0} bytes");
        }

        if (utf8.StartsWith(Encoding.UTF8.Preamble))
        {
            utf8 = utf8[Encoding.UTF8.Preamble.Length..];
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, nodeOptions: null, DocumentOptions);
            ReadEveryString(node);
        }
        catch (JsonException ex)
        {
            return Failed(JobIssueCodes.InvalidJson, $"The document is not valid JSON: {ex.Message}");
        }
        catch (InvalidOperationException)
        {
            return Failed(JobIssueCodes.InvalidJson,
                "The document is not valid text: a string escapes half of a UTF-16 surrogate pair (such as \\ud800 alone).");
        }

        return node is JsonObject document
            ? new JobReadResult(document, null)
            : Failed(JobIssueCodes.NotAnObject, $"A job document must be a JSON object, not {Describe(node)}.");
    }

    /// <summary>Reads a document given as text.</summary>
    public static JobReadResult Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var byteCount = Encoding.UTF8.GetByteCount(json);
        return byteCount > MaxDocumentBytes ? TooLarge($"{byteCount:N0} bytes") : Read(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// Reads a document from a stream without ever buffering more than <see cref="MaxDocumentBytes"/> plus one
    /// byte, so an oversized body is refused without being read to its end.
    /// </summary>
    public static async Task<JobReadResult> ReadAsync(Stream stream, CancellationToken cancellationToken = default) =>
        await BoundedReads.ReadAtMostAsync(stream, MaxDocumentBytes, cancellationToken) is { } bytes ? Read(bytes) : TooLarge("more than that");

    /// <summary>
    /// JSON allows escapes of lone surrogates, which no .NET string can hold; reading every name and string
    /// once here means no later reader of the document meets one.
    /// </summary>
    private static void ReadEveryString(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    ReadEveryString(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    ReadEveryString(item);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                _ = value.GetValue<string>();
                break;
        }
    }

    private static JobReadResult TooLarge(string actual) => Failed(
        JobIssueCodes.DocumentTooLarge,
        $"A job document may be at most {MaxDocumentBytes / 1024} KB; this one is {actual}. Keep media out of the document and give their URLs.");

    private static JobReadResult Failed(string code, string message) =>
        new(null, JobIssue.Error(code, JobIssue.RootPath, message));

    private static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };
}
