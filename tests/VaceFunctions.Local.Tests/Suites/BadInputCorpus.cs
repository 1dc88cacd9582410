using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Local.Tests.Suites;

/// <summary>How a bad document reaches the host.</summary>
internal enum IntakeChannel
{
    Queue,
    Blob,
    Http,
}

/// <summary>Where a bad document is stopped: at intake (rejection record, 400, 413), or by the probe before anything is paid for.</summary>
internal enum RejectedAt
{
    Intake,
    Probe,
}

/// <summary>
/// One entry of the bad-input corpus: the exact bytes sent, the rule it breaks (<paramref name="Code"/> at
/// <paramref name="Path"/>; for a probe refusal, text the job's error message must hold), and the id its record is filed
/// under.
/// </summary>
internal sealed record BadInputCase(string Name, byte[] Body, string Code, string Path, RejectedAt Stage, string JobId)
{
    public override string ToString() => $"{Name} ({Code} at {Path})";
}

/// <summary>
/// Generates the bad-input suite's corpus for one channel: truncated JSON, invalid UTF-8, deep nesting, wrong types,
/// huge strings, a 10 MB body, every validation rule broken, and media at private, metadata, file:, data: and redirecting
/// URLs. Each round varies the breakage (truncation point, depth, the wrong type used, string sizes), so more rounds
/// give a larger corpus. Ids carry the channel and round, so records from different channels never share a name.
/// </summary>
internal sealed class BadInputCorpus(Uri simulator, Uri redirects)
{
    /// <summary>The largest queue message the corpus sends as plain text (Azure Storage queues hold 64 KB).</summary>
    private const int MaxQueueMessage = 48 * 1024;

    public string Media(string name) => new Uri(simulator, "media/" + name).ToString();

    /// <summary>A documented request that runs to success, with the given id in its prompt too, so each good job's request body is its own.</summary>
    public JsonObject Good(string id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_outpainting"), simulator);
        document["id"] = id;
        document["input"]!["prompt"] = $"{document["input"]!["prompt"]!.GetValue<string>()} ({id})";
        return document;
    }

    public IEnumerable<BadInputCase> Generate(IntakeChannel channel, int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            foreach (var entry in Round(channel, round, rounds))
            {
                if (channel != IntakeChannel.Queue || entry.Body.Length <= MaxQueueMessage)
                {
                    yield return entry;
                }
            }
        }
    }

    private IEnumerable<BadInputCase> Round(IntakeChannel channel, int round, int rounds)
    {
        var prefix = channel.ToString().ToLowerInvariant()[0] + "-";
        string Id(string name) => $"{prefix}{name}-{round}";

        // Documents that cannot be read: filed under a hash of their bytes.
        var good = Bytes(VideoEdit(Id("truncated")));
        var cut = good.Length * (round + 1) / (rounds + 2);
        yield return Unreadable(channel, "truncated-json", good[..Math.Max(1, cut)], JobIssueCodes.InvalidJson);

        var marked = Bytes(VideoEdit(Id("invalid-utf8"), d => d["input"]!["prompt"] = "A lion @@@@ sips coffee."));
        var at = IndexOf(marked, "@@@@"u8);
        byte[][] invalidSequences = [[0xFF, 0xFE, 0xFD, 0xFC], [0xC3, 0x28, 0xA0, 0xA1], [0xED, 0xA0, 0x80, 0x41], [0xF8, 0x88, 0x80, 0x80]];
        invalidSequences[round % invalidSequences.Length].CopyTo(marked, at);
        yield return Unreadable(channel, "invalid-utf8", marked, JobIssueCodes.InvalidJson);

        var depth = 33 + (round * 997 % 9_000);
        var nested = Encoding.UTF8.GetBytes($"{{\"id\":\"{Id("deep-nesting")}\",\"parameters\":{{\"x\":{new string('[', depth)}{new string(']', depth)}}}}}");
        yield return Unreadable(channel, "deep-nesting", nested, JobIssueCodes.InvalidJson);

        yield return Unreadable(channel, "duplicate-property",
            Encoding.UTF8.GetBytes($"{{\"id\":\"{Id("duplicate-property")}\",\"id\":\"other\",\"input\":{{\"function\":\"video_outpainting\"}}}}"), JobIssueCodes.InvalidJson);
        yield return Unreadable(channel, "not-an-object", Encoding.UTF8.GetBytes($"[{Encoding.UTF8.GetString(Bytes(Good(Id("not-an-object"))))}]"), JobIssueCodes.NotAnObject);
        yield return Unreadable(channel, "null-document", Encoding.UTF8.GetBytes($"null {new string(' ', round)}"), JobIssueCodes.NotAnObject);

        // 10 MB: over the document limit on every path that can carry it (a queue message holds 64 KB).
        var huge = new StringBuilder(10 * 1024 * 1024 + 100).Append($"{{\"id\":\"{Id("ten-megabytes")}\",\"input\":{{\"prompt\":\"");
        huge.Append('a', 10 * 1024 * 1024).Append("\"}}");
        yield return Unreadable(channel, "ten-megabytes", Encoding.UTF8.GetBytes(huge.ToString()), JobIssueCodes.DocumentTooLarge);

        // Huge strings under the limit: each breaks the rule of its field.
        var size = 20_000 + (round * 1_000 % 20_000);
        yield return Invalid("huge-id", VideoEdit("x", d => d["id"] = new string('x', size)), JobIssueCodes.InvalidId, JobFields.Id, hashedId: true);
        yield return Invalid(Id("huge-model"), VideoEdit(Id("huge-model"), d => d["model"] = new string('m', size)), JobIssueCodes.UnknownModel, "model");
        yield return Invalid(Id("huge-function"), VideoEdit(Id("huge-function"), d => d["input"]!["function"] = new string('f', size)),
            JobIssueCodes.UnknownFunction, "input.function");
        yield return Invalid(Id("huge-mask-type"), VideoEdit(Id("huge-mask-type"), d => d["parameters"]!["mask_type"] = new string('t', size)),
            JobIssueCodes.InvalidValue, "parameters.mask_type");

        // Wrong types, a different wrong value each round.
        JsonNode?[] wrong = [JsonValue.Create(42), JsonValue.Create(true), new JsonObject(), new JsonArray(), JsonValue.Create(1.5)];
        JsonNode? Wrong(int offset) => wrong[(round + offset) % wrong.Length]?.DeepClone();
        yield return Invalid(Id("type-prompt"), VideoEdit(Id("type-prompt"), d => d["input"]!["prompt"] = Wrong(0)), JobIssueCodes.InvalidType, "input.prompt");
        yield return Invalid(Id("type-prompt-extend"), VideoEdit(Id("type-prompt-extend"), d => d["parameters"]!["prompt_extend"] = Wrong(3) ?? "yes"),
            JobIssueCodes.InvalidType, "parameters.prompt_extend");
        yield return Invalid(Id("type-video-url"), VideoEdit(Id("type-video-url"), d => d["input"]!["video_url"] = Wrong(2)), JobIssueCodes.InvalidType, "input.video_url");
        yield return Invalid(Id("type-mask-frame"), VideoEdit(Id("type-mask-frame"), d => d["input"]!["mask_frame_id"] = "one"), JobIssueCodes.InvalidType, "input.mask_frame_id");
        yield return Invalid(Id("type-input"), VideoEdit(Id("type-input"), d => d["input"] = "video_edit please"), JobIssueCodes.InvalidType, "input");
        yield return Invalid(Id("type-parameters"), VideoEdit(Id("type-parameters"), d => d["parameters"] = new JsonArray(1, 2)), JobIssueCodes.InvalidType, "parameters");

        // Every validation rule broken, one document each.
        yield return Invalid(Id("required-prompt"), VideoEdit(Id("required-prompt"), d => d["input"]!.AsObject().Remove("prompt")), JobIssueCodes.Required, "input.prompt");
        yield return Invalid(Id("required-function"), VideoEdit(Id("required-function"), d => d["input"]!.AsObject().Remove("function")), JobIssueCodes.Required, "input.function");
        yield return Invalid(Id("required-one-of"), VideoEdit(Id("required-one-of"), d => d["input"]!.AsObject().Remove("mask_image_url")),
            JobIssueCodes.RequiredOneOf, "input");
        yield return Invalid(Id("mutually-exclusive"), VideoEdit(Id("mutually-exclusive"), d => d["input"]!["mask_video_url"] = Media("sample-input.mp4")),
            JobIssueCodes.MutuallyExclusive, "input.mask_video_url");
        yield return Invalid(Id("requires"), VideoEdit(Id("requires"), d =>
        {
            d["input"]!.AsObject().Remove("mask_image_url");
            d["input"]!["mask_video_url"] = Media("sample-input.mp4");
            d["input"]!["mask_frame_id"] = 1;
        }), JobIssueCodes.Requires, "input.mask_frame_id");
        yield return Invalid(Id("blank-prompt"), VideoEdit(Id("blank-prompt"), d => d["input"]!["prompt"] = " \t\n "), JobIssueCodes.Blank, "input.prompt");
        yield return Invalid(Id("invalid-mask-type"), VideoEdit(Id("invalid-mask-type"), d => d["parameters"]!["mask_type"] = "follow"), JobIssueCodes.InvalidValue, "parameters.mask_type");
        yield return Invalid(Id("invalid-size"), VideoEdit(Id("invalid-size"), d => d["parameters"]!["size"] = "1*1"), JobIssueCodes.InvalidValue, "parameters.size");
        yield return Invalid(Id("out-of-range-ratio"), VideoEdit(Id("out-of-range-ratio"), d => d["parameters"]!["expand_ratio"] = 1.5 + round), JobIssueCodes.OutOfRange, "parameters.expand_ratio");
        yield return Invalid(Id("out-of-range-frame"), VideoEdit(Id("out-of-range-frame"), d => d["input"]!["mask_frame_id"] = -1 - round), JobIssueCodes.OutOfRange, "input.mask_frame_id");
        yield return Invalid(Id("out-of-range-scale"), Outpainting(Id("out-of-range-scale"), d => d["parameters"]!["top_scale"] = 2.5), JobIssueCodes.OutOfRange, "parameters.top_scale");
        yield return Invalid(Id("too-few-items"), ImageReference(Id("too-few-items"), d => d["input"]!["ref_images_url"] = new JsonArray()), JobIssueCodes.TooFewItems, "input.ref_images_url");
        yield return Invalid(Id("too-many-items"), VideoEdit(Id("too-many-items"), d => d["input"]!["ref_images_url"] = new JsonArray(Media("sample-image.png"), Media("sample-image.png"))),
            JobIssueCodes.TooManyItems, "input.ref_images_url[1]");
        yield return Invalid(Id("length-mismatch"), ImageReference(Id("length-mismatch"), d => d["parameters"] = new JsonObject { ["obj_or_bg"] = new JsonArray("obj", "bg", "obj") }),
            JobIssueCodes.LengthMismatch, "parameters.obj_or_bg");
        yield return Invalid(Id("unknown-function"), VideoEdit(Id("unknown-function"), d => d["input"]!["function"] = "video_magic"), JobIssueCodes.UnknownFunction, "input.function");
        yield return Invalid(Id("unknown-model"), VideoEdit(Id("unknown-model"), d => d["model"] = "wan9-vace-ultra"), JobIssueCodes.UnknownModel, "model");
        yield return Invalid("invalid-id", VideoEdit("x", d => d["id"] = $"not a valid id! {round}"), JobIssueCodes.InvalidId, JobFields.Id, hashedId: true);
        yield return Invalid(Id("container-not-allowed"), VideoEdit(Id("container-not-allowed"), d => d["output"] = new JsonObject { ["container"] = "someone-elses" }),
            JobIssueCodes.OutputContainerNotAllowed, "output.container");
        yield return Invalid(Id("invalid-blob-name"), VideoEdit(Id("invalid-blob-name"), d => d["output"] = new JsonObject { ["blob"] = "../escape/output.mp4" }),
            JobIssueCodes.InvalidValue, "output.blob");
        yield return Invalid(Id("invalid-callback"), VideoEdit(Id("invalid-callback"), d => d["callback_url"] = "ftp://example.com/hook"), JobIssueCodes.InvalidUrl, "callback_url");

        // URLs the host may not fetch: refused by the validator (not http(s), credentials, relative outside the blob pipeline) ...
        yield return Invalid(Id("file-url"), VideoEdit(Id("file-url"), d => d["input"]!["video_url"] = "file:///etc/passwd"), JobIssueCodes.InvalidUrl, "input.video_url");
        yield return Invalid(Id("data-url"), VideoEdit(Id("data-url"), d => d["input"]!["mask_image_url"] = "data:image/png;base64,iVBORw0KGgo="), JobIssueCodes.InvalidUrl, "input.mask_image_url");
        yield return Invalid(Id("credentials-url"), VideoEdit(Id("credentials-url"), d => d["input"]!["video_url"] = "https://user:secret@example.com/clip.mp4"),
            JobIssueCodes.InvalidUrl, "input.video_url");
        yield return channel == IntakeChannel.Blob
            ? Invalid(Id("missing-media"), VideoEdit(Id("missing-media"), d => d["input"]!["video_url"] = "no-such-clip.mp4"), "media_not_found", "input.video_url")
            : Invalid(Id("relative-media"), VideoEdit(Id("relative-media"), d => d["input"]!["video_url"] = "clip.mp4"), JobIssueCodes.InvalidUrl, "input.video_url");

        // ... and by the probe, on the resolved address of every hop, before anything is submitted.
        yield return Probed(Id("private-address"), "input.video_url", d => d["input"]!["video_url"] = $"http://10.{round % 256}.0.7/clip.mp4");
        yield return Probed(Id("metadata-address"), "input.video_url", d => d["input"]!["video_url"] = "http://169.254.169.254/latest/meta-data/clip.mp4");
        yield return Probed(Id("redirect-to-metadata"), "input.video_url", d => d["input"]!["video_url"] = new Uri(redirects, "to-metadata/clip.mp4").ToString());
        yield return Probed(Id("redirect-to-private"), "input.mask_image_url", d => d["input"]!["mask_image_url"] = new Uri(redirects, "to-private/mask.png").ToString());

        BadInputCase Unreadable(IntakeChannel on, string name, byte[] body, string code) =>
            new($"{prefix}{name}-{round}", body, code, JobIssue.RootPath, RejectedAt.Intake, HashedId(on, body));

        BadInputCase Invalid(string name, JsonObject document, string code, string path, bool hashedId = false)
        {
            var body = Bytes(document);
            var id = hashedId ? HashedId(channel, body) : document["id"]!.GetValue<string>();
            return new(hashedId ? $"{prefix}{name}-{round}" : name, body, code, path, RejectedAt.Intake, id);
        }

        BadInputCase Probed(string id, string path, Action<JsonObject> breakIt)
        {
            var document = VideoEdit(id, breakIt);
            return new(id, Bytes(document), "InvalidInput", path, RejectedAt.Probe, id);
        }
    }

    private JsonObject VideoEdit(string id, Action<JsonObject>? breakIt = null) => Sample("video_edit", id, breakIt);

    private JsonObject Outpainting(string id, Action<JsonObject>? breakIt = null) => Sample("video_outpainting", id, breakIt);

    private JsonObject ImageReference(string id, Action<JsonObject>? breakIt = null) => Sample("image_reference", id, breakIt);

    private JsonObject Sample(string name, string id, Action<JsonObject>? breakIt)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load(name), simulator);
        document["id"] = id;
        breakIt?.Invoke(document);
        return document;
    }

    private static byte[] Bytes(JsonObject document) => Encoding.UTF8.GetBytes(document.ToJsonString());

    /// <summary>
    /// The id intake files an unreadable document under: a hash of the bytes it read — for a blob, no more than one
    /// byte over the document limit.
    /// </summary>
    private static string HashedId(IntakeChannel channel, byte[] body)
    {
        var read = channel == IntakeChannel.Blob ? body.AsSpan(0, Math.Min(body.Length, JobDocumentReader.MaxDocumentBytes + 1)) : body;
        return "rejected-" + Convert.ToHexStringLower(SHA256.HashData(read), 0, 16);
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
