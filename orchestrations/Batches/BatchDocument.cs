using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// A batch file read and every line judged by intake: JSONL (one job document a line, blank lines ignored) or a JSON
/// array of job documents, the first of which may be the batch's envelope, <c>{"batch": {"id", "callback_url",
/// "metadata", "all_or_nothing"}}</c>. A refused file (<see cref="Refusal"/>) has no lines, except an all-or-nothing
/// batch refused for its invalid lines, which has them all.
/// </summary>
/// <remarks>
/// <para>A line without an <c>id</c> gets <c>{batch id}-{line number:D5}</c>, so the same file sent again is the same
/// jobs; a batch without an id gets <c>batch-</c> and 24 hex digits of the file's SHA-256.</para>
/// <para>Each line goes through <see cref="JobIntake.Check"/>, the same reading and validation as a single job.</para>
/// </remarks>
public sealed record BatchDocument(
    string BatchId, BatchEnvelope Envelope, IReadOnlyList<BatchLine> Lines, string? Refusal = null, bool TooLarge = false)
{
    /// <summary>The longest batch id: room for <c>-</c> and a five-digit line number within a job id.</summary>
    public const int MaxIdLength = 48;

    /// <summary>The envelope's property in its line: <c>{"batch": {…}}</c>.</summary>
    public const string EnvelopeField = "batch";

    public bool Refused => Refusal is not null;

    public int ValidCount => Lines.Count(l => l.Valid);

    public int RejectedCount => Lines.Count(l => !l.Valid);

    public static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxIdLength } && JobId.IsValid(id);

    /// <summary>Reads <paramref name="bytes"/>, each line checked by <paramref name="check"/> (intake's own check).</summary>
    /// <remarks>An http (not https) callback URL only with <paramref name="allowHttpCallbackUrls"/>, as for a job.</remarks>
    public static BatchDocument Read(
        ReadOnlyMemory<byte> bytes, BatchOptions options, Func<byte[], JobCheck> check, bool allowHttpCallbackUrls = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(check);
        if (bytes.Length > options.MaxBytes)
        {
            return Refuse(TooLargeMessage(options.MaxBytes), tooLarge: true);
        }

        var span = bytes.Span;
        if (span.StartsWith(Encoding.UTF8.Preamble))
        {
            span = span[Encoding.UTF8.Preamble.Length..];
        }

        List<(int Line, byte[] Bytes)> items;
        try
        {
            items = FirstNonSpace(span) == '[' ? ArrayItems(span) : JsonLines(span);
        }
        catch (JsonException ex)
        {
            return Refuse($"The batch is neither JSON lines nor a JSON array of job documents: {ex.Message}");
        }

        BatchEnvelope envelope = new(null, null, null);
        if (items.Count > 0 && EnvelopeOf(items[0].Bytes, allowHttpCallbackUrls) is { } found)
        {
            if (found.Error is { } error)
            {
                return Refuse($"Line {items[0].Line}: {error}");
            }

            envelope = found.Envelope!;
            items.RemoveAt(0);
        }

        if (items.Count == 0)
        {
            return Refuse("The batch holds no job documents.");
        }

        if (items.Count > options.MaxLines)
        {
            return Refuse($"A batch may hold at most {options.MaxLines:N0} job documents; this one has {items.Count:N0}.",
                tooLarge: true);
        }

        var batchId = envelope.Id ?? "batch-" + Convert.ToHexStringLower(SHA256.HashData(bytes.Span), 0, 12);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = new List<BatchLine>(items.Count);
        foreach (var (number, line) in items)
        {
            lines.Add(Judge(batchId, number, line, check, seen));
        }

        var rejected = lines.Count(l => !l.Valid);
        return envelope.AllOrNothing && rejected > 0
            ? new BatchDocument(batchId, envelope, lines,
                $"{rejected} of {lines.Count} lines are invalid, and the batch is all_or_nothing: none was started.")
            : new BatchDocument(batchId, envelope, lines);
    }

    private static BatchLine Judge(
        string batchId, int number, byte[] line, Func<byte[], JobCheck> check, Dictionary<string, int> seen)
    {
        var bytes = line;
        if (JobDocumentReader.Read(line) is { Document: { } read } && !read.ContainsKey(JobFields.Id))
        {
            read[JobFields.Id] = $"{batchId}-{number:D5}";
            bytes = JsonSerializer.SerializeToUtf8Bytes(read);
        }

        var result = check(bytes);
        var errors = result.Errors.ToList();
        if (result.Job is not null && !seen.TryAdd(result.JobId, number))
        {
            errors.Add(JobIssue.Error(JobIssueCodes.InvalidId, JobFields.Id,
                $"The id '{result.JobId}' is also the id of line {seen[result.JobId]}; ids must differ within a batch."));
        }

        return errors.Count == 0 && JobDocumentReader.Read(bytes).Document is { } document
            ? new BatchLine(number, result.JobId, document, [])
            : new BatchLine(number, result.JobId, null, errors);
    }

    private static (BatchEnvelope? Envelope, string? Error)? EnvelopeOf(byte[] line, bool allowHttp)
    {
        if (JobDocumentReader.Read(line).Document is not { } document || !document.ContainsKey(EnvelopeField))
        {
            return null;
        }

        if (document.Count != 1 || document[EnvelopeField] is not JsonObject batch)
        {
            return (null, "the envelope line must be {\"batch\": {\"id\", \"callback_url\", \"metadata\"}} alone.");
        }

        var unknown = batch.Select(p => p.Key).Except(["id", "callback_url", "metadata", "all_or_nothing"]).ToList();
        if (unknown.Count > 0)
        {
            return (null, $"unknown envelope field '{unknown[0]}'; use id, callback_url, metadata or all_or_nothing.");
        }

        var allOrNothing = false;
        if (batch["all_or_nothing"] is { } flag)
        {
            if (flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                return (null, "batch.all_or_nothing must be true or false.");
            }

            allOrNothing = flag.GetValue<bool>();
        }

        string? id = null;
        if (batch["id"] is { } idNode && (idNode.GetValueKind() != JsonValueKind.String
            || !IsValidId(id = idNode.GetValue<string>())))
        {
            return (null, $"batch.id must be 1-{MaxIdLength} characters of A-Z, a-z, 0-9, '_' and '-'.");
        }

        string? callback = null;
        if (batch["callback_url"] is { } callbackNode && (callbackNode.GetValueKind() != JsonValueKind.String
            || !Uri.TryCreate(callback = callbackNode.GetValue<string>(), UriKind.Absolute, out var uri)
            || !(uri.Scheme == "https" || (allowHttp && uri.Scheme == "http"))))
        {
            return (null, allowHttp ? "batch.callback_url must be an absolute http(s) URL."
                : "batch.callback_url must be an absolute https URL.");
        }

        if (batch["metadata"] is { } metadata && metadata is not JsonObject)
        {
            return (null, "batch.metadata must be a JSON object.");
        }

        return (new BatchEnvelope(id, callback, batch["metadata"]?.DeepClone().AsObject(), allOrNothing), null);
    }

    private static List<(int, byte[])> JsonLines(ReadOnlySpan<byte> span)
    {
        var items = new List<(int, byte[])>();
        var number = 0;
        while (!span.IsEmpty)
        {
            number++;
            var end = span.IndexOf((byte)'\n');
            var line = end < 0 ? span : span[..end];
            span = end < 0 ? [] : span[(end + 1)..];
            if (!line.Trim(" \t\r"u8).IsEmpty)
            {
                items.Add((number, line.ToArray()));
            }
        }

        return items;
    }

    private static List<(int, byte[])> ArrayItems(ReadOnlySpan<byte> span)
    {
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { MaxDepth = 34 });
        var items = new List<(int, byte[])>();
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            items.Add((items.Count + 1, span[start..(int)(reader.BytesConsumed)].ToArray()));
        }

        if (reader.TokenType != JsonTokenType.EndArray || !span[(int)reader.BytesConsumed..].Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new JsonException("the array does not end where the file does.");
        }

        return items;
    }

    private static byte FirstNonSpace(ReadOnlySpan<byte> span)
    {
        var trimmed = span.TrimStart(" \t\r\n"u8);
        return trimmed.IsEmpty ? (byte)0 : trimmed[0];
    }

    /// <summary>The refusal of a file larger than <paramref name="maxBytes"/>.</summary>
    public static string TooLargeMessage(long maxBytes) => maxBytes switch
    {
        >= 1024 * 1024 when maxBytes % (1024 * 1024) == 0 => $"A batch file may be at most {maxBytes / (1024 * 1024)} MB.",
        >= 1024 when maxBytes % 1024 == 0 => $"A batch file may be at most {maxBytes / 1024} KB.",
        _ => $"A batch file may be at most {maxBytes:N0} bytes.",
    };

    private static BatchDocument Refuse(string refusal, bool tooLarge = false) =>
        new("", new BatchEnvelope(null, null, null), [], refusal, tooLarge);
}
