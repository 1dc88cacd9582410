using System.CommandLine;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using VaceFunctions.Local.Intake;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace enqueue FILE…</c> puts job documents on the jobs queue and <c>vace upload FOLDER</c> runs the blob-upload
/// pipeline (the folder's media, then its job.json), in the storage account a host reads (<see cref="IntakeTarget"/>).
/// Each document is checked first as the host's intake will check it, so a bad one is refused at once with its errors,
/// and each job's id is printed as the intake derives it. <c>--wait</c> follows the jobs through the host's HTTP API.
/// </summary>
public static class IntakeCommands
{
    private static readonly Option<bool> Wait = new("--wait")
    {
        Description = "Follow the jobs until they end, showing their progress, through the HTTP API of the host that takes them in (--url).",
    };

    public static IEnumerable<Command> Create()
    {
        var files = new Argument<string[]>("files")
        {
            Description = "Job documents (JSON; '-' reads standard input). A file whose first line is a whole document, "
                + "or named *.ndjson or *.jsonl, holds one document per line.",
            Arity = ArgumentArity.OneOrMore,
        };
        var enqueue = new Command("enqueue", "Put job documents on the jobs queue of a host's storage account.")
        {
            files, Wait, JobsClientCommands.Url, JobsClientCommands.ApiKey,
        };
        enqueue.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => EnqueueAsync(p, p.GetValue(files)!, ct)));

        var folder = new Argument<DirectoryInfo>("folder") { Description = "A folder holding job.json and the media it names by bare name (\"video_url\": \"clip.mp4\")." };
        var name = new Option<string?>("--as") { Description = "The folder's name in the inbox container (default: the folder's own name); an upload never replaces blobs." };
        var upload = new Command("upload", "Upload a job folder into the inbox container of a host's storage account: its media, then job.json.")
        {
            folder, name, Wait, JobsClientCommands.Url, JobsClientCommands.ApiKey,
        };
        upload.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => UploadAsync(p, p.GetValue(folder)!, p.GetValue(name), ct)));
        return [enqueue, upload];
    }

    private static async Task<int> EnqueueAsync(ParseResult parse, string[] files, CancellationToken cancellationToken)
    {
        var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        var documents = new List<(string Where, byte[] Bytes)>();
        foreach (var file in files)
        {
            byte[] content;
            try
            {
                content = file == "-" ? await ReadStandardInputAsync(cancellationToken) : await File.ReadAllBytesAsync(file, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"{file}: unreadable — {ex.Message}; nothing was queued.");
                return ExitCodes.Usage;
            }

            documents.AddRange(Split(file == "-" ? "stdin" : file, content));
        }

        if (await IntakeTarget.FindAsync(error, cancellationToken) is not { } target)
        {
            return ExitCodes.Usage;
        }

        var options = target.ValidationOptions(IntakeSource.Queue);
        var queue = target.Queues.GetQueueClient(target.Queue.Name);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var ids = new List<string>();
        var refused = false;
        foreach (var (where, bytes) in documents)
        {
            if (await CheckAsync(error, where, bytes, options) is not { } job)
            {
                refused = true;
                continue;
            }

            // The document goes as it was written: the host derives the same id from it.
            await queue.SendMessageAsync(Encoding.UTF8.GetString(bytes), cancellationToken);
            await output.WriteLineAsync($"Queued job {job.Id} ({job.Document.Input.Function}) on '{target.Queue.Name}'.");
            ids.Add(job.Id);
        }

        var waited = parse.GetValue(Wait) && ids.Count > 0
            ? await FollowAsync(parse, ids.Distinct(StringComparer.Ordinal).ToArray(), $"waiting for the host to take it from '{target.Queue.Name}'", cancellationToken)
            : ExitCodes.Ok;
        return refused ? ExitCodes.Failed : waited;
    }

    private static async Task<int> UploadAsync(ParseResult parse, DirectoryInfo folder, string? name, CancellationToken cancellationToken)
    {
        var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        var jobFile = Path.Combine(folder.FullName, StartJobFromBlob.JobFileName);
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(jobFile, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"{Path.Combine(folder.ToString(), StartJobFromBlob.JobFileName)}: unreadable — {ex.Message}; nothing was uploaded.");
            return ExitCodes.Usage;
        }

        if (await IntakeTarget.FindAsync(error, cancellationToken) is not { } target)
        {
            return ExitCodes.Usage;
        }

        var where = Path.Combine(folder.ToString(), StartJobFromBlob.JobFileName);
        if (await CheckAsync(error, where, content, target.ValidationOptions(IntakeSource.Blob)) is not { } job)
        {
            return ExitCodes.Failed;
        }

        var media = job.Document.Input.Media().Where(m => !MediaUrls.IsHttpUrl(m.Value)).ToArray();
        var missing = media.Where(m => !File.Exists(Path.Combine(folder.FullName, m.Value)))
            .Select(m => JobIssue.Error("media_not_found", m.Path, $"{m.Path} names '{m.Value}', but there is no file '{Path.Combine(folder.ToString(), m.Value)}'."))
            .ToArray();
        if (missing.Length > 0)
        {
            await WriteIssuesAsync(error, $"{where}: names media the folder lacks; nothing was uploaded:", missing);
            return ExitCodes.Failed;
        }

        var prefix = (name ?? folder.Name).Trim('/');
        var inbox = target.Blobs.GetBlobContainerClient(target.Inbox.Container);
        await inbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await foreach (var _ in inbox.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix + "/" }, cancellationToken))
        {
            await error.WriteLineAsync($"'{inbox.Name}/{prefix}/' holds an earlier upload; nothing was uploaded. Give the folder a new name with --as NAME.");
            return ExitCodes.Usage;
        }

        // Media first: the inbox takes job.json as soon as it appears, and a medium still missing then rejects the job.
        var names = media.Select(m => m.Value).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var medium in names)
        {
            await UploadNewAsync(inbox.GetBlobClient($"{prefix}/{medium}"), BinaryData.FromBytes(await File.ReadAllBytesAsync(Path.Combine(folder.FullName, medium), cancellationToken)), cancellationToken);
        }

        await UploadNewAsync(inbox.GetBlobClient($"{prefix}/{StartJobFromBlob.JobFileName}"), BinaryData.FromBytes(content), cancellationToken);
        await output.WriteLineAsync(
            $"Uploaded job {job.Id} ({job.Document.Input.Function}) to '{inbox.Name}/{prefix}/': {string.Join(", ", names.Append(StartJobFromBlob.JobFileName))}.");
        return parse.GetValue(Wait)
            ? await FollowAsync(parse, [job.Id], $"waiting for the host to take it from '{inbox.Name}'", cancellationToken)
            : ExitCodes.Ok;
    }

    /// <summary>The job, or null with every error on stderr; a valid document's warnings go to stderr too.</summary>
    private static async Task<VaceJob?> CheckAsync(TextWriter error, string where, byte[] document, JobValidationOptions options)
    {
        var result = ValidateCommand.Check(JobDocumentReader.Read(document), options);
        if (result.Job is not { } job)
        {
            var count = result.Errors.Count();
            await WriteIssuesAsync(error, $"{where}: invalid — {count} error{(count == 1 ? "" : "s")}; not queued:", result.Issues);
            return null;
        }

        if (job.Warnings.Count > 0)
        {
            await WriteIssuesAsync(error, $"{where}:", job.Warnings);
        }

        return job;
    }

    private static async Task WriteIssuesAsync(TextWriter error, string heading, IEnumerable<JobIssue> issues)
    {
        await error.WriteLineAsync(heading);
        foreach (var issue in issues)
        {
            await error.WriteLineAsync(JobSummary.IssueLine(issue));
        }
    }

    private static async Task UploadNewAsync(BlobClient blob, BinaryData content, CancellationToken cancellationToken) =>
        await blob.UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);

    private static async Task<int> FollowAsync(ParseResult parse, IReadOnlyList<string> ids, string notYetTaken, CancellationToken cancellationToken)
    {
        using var http = JobsClientCommands.Client(parse);
        return await JobsClientCommands.FollowAsync(
            http, ids, notYetTaken, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
    }

    /// <summary>
    /// The documents of a file: one per line when it is NDJSON — named *.ndjson or *.jsonl, or its first line is a whole
    /// JSON document with more lines after it — else the file as one document.
    /// </summary>
    private static IEnumerable<(string Where, byte[] Bytes)> Split(string name, byte[] content)
    {
        var lines = Encoding.UTF8.GetString(content).Split('\n').Select((text, index) => (Number: index + 1, Text: text.TrimEnd('\r')))
            .Where(line => !string.IsNullOrWhiteSpace(line.Text)).ToArray();
        var ndjson = name.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            || (lines.Length > 1 && IsWholeJson(lines[0].Text));
        return ndjson
            ? lines.Select(line => ($"{name} line {line.Number}", Encoding.UTF8.GetBytes(line.Text)))
            : [(name, content)];
    }

    private static bool IsWholeJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReadStandardInputAsync(CancellationToken cancellationToken)
    {
        await using var input = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
