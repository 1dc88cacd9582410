using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Where a batch lives outside its orchestration: its index and its pages of job documents in the state container
/// (<c>batches/{id}/index.jsonl</c>, <c>batches/{id}/page-00000.jsonl</c>, …) and, once it ended, its results in the
/// output container (<c>batches/{id}/results.jsonl</c>, <c>batches/{id}/summary.json</c>).
/// </summary>
/// <remarks>The documents stay out of the task hub, so the orchestration's history holds only page numbers.</remarks>
public sealed class BatchStore(BlobServiceClient blobs, IOptions<WorkflowOptions> workflow)
{
    public const string Folder = "batches";

    public const string ResultsName = "results.jsonl";

    public const string SummaryName = "summary.json";

    /// <summary>The batch's envelope as it was submitted (id, callback URL, metadata), in the state container.</summary>
    public const string EnvelopeName = "batch.json";

    /// <summary>The JSON of the stored and published batch files: snake_case, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Stores the batch's index and pages; returns how many pages of valid lines it has.</summary>
    public async Task<int> WriteAsync(BatchDocument batch, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var container = await StateAsync(cancellationToken);
        var valid = batch.Lines.Where(l => l.Valid).ToList();
        var pages = (valid.Count + pageSize - 1) / pageSize;
        for (var page = 0; page < pages; page++)
        {
            var lines = valid.Skip(page * pageSize).Take(pageSize)
                .Select(l => JsonSerializer.Serialize(new StoredLine(l.Line, l.Document!), Json));
            await UploadAsync(container, PageName(batch.BatchId, page), lines, cancellationToken);
        }

        await container.GetBlobClient($"{Folder}/{batch.BatchId}/{EnvelopeName}").UploadAsync(
            BinaryData.FromString(JsonSerializer.Serialize(batch.Envelope, Json)), overwrite: true, cancellationToken);
        var index = 0;
        var entries = batch.Lines.Select(l => JsonSerializer.Serialize(
            new BatchIndexEntry(l.Line, l.JobId, l.Valid ? index++ / pageSize : null, l.Errors), Json));
        await UploadAsync(container, $"{Folder}/{batch.BatchId}/index.jsonl", entries, cancellationToken);
        return pages;
    }

    public async Task<IReadOnlyList<BatchIndexEntry>> ReadIndexAsync(string batchId, CancellationToken cancellationToken) =>
        [.. (await ReadLinesAsync(blobs.GetBlobContainerClient(workflow.Value.StateContainer),
            $"{Folder}/{batchId}/index.jsonl", cancellationToken))
            .Select(l => JsonSerializer.Deserialize<BatchIndexEntry>(l, Json)!)];

    /// <summary>The job documents of one page, in input order, as intake accepted them.</summary>
    public async Task<IReadOnlyList<(int Line, JsonObject Document)>> ReadPageAsync(
        string batchId, int page, CancellationToken cancellationToken) =>
        [.. (await ReadLinesAsync(blobs.GetBlobContainerClient(workflow.Value.StateContainer),
            PageName(batchId, page), cancellationToken))
            .Select(l => JsonSerializer.Deserialize<StoredLine>(l, Json)!)
            .Select(l => (l.Line, l.Document))];

    public async Task<BatchEnvelope> ReadEnvelopeAsync(string batchId, CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<BatchEnvelope>(
            (await blobs.GetBlobContainerClient(workflow.Value.StateContainer)
                .GetBlobClient($"{Folder}/{batchId}/{EnvelopeName}").DownloadContentAsync(cancellationToken)).Value.Content
            .ToString(), Json)!;

    /// <summary>Publishes the results file and the summary into the output container.</summary>
    /// <returns>The summary's JSON, as written.</returns>
    public async Task<string> WriteResultsAsync(
        string batchId, IEnumerable<BatchResultLine> results, object summary, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(workflow.Value.OutputContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await UploadAsync(container, $"{Folder}/{batchId}/{ResultsName}",
            results.Select(r => JsonSerializer.Serialize(r, Json)), cancellationToken);
        var json = JsonSerializer.Serialize(summary, Json);
        await container.GetBlobClient($"{Folder}/{batchId}/{SummaryName}")
            .UploadAsync(BinaryData.FromString(json), overwrite: true, cancellationToken);
        return json;
    }

    private static string PageName(string batchId, int page) => $"{Folder}/{batchId}/page-{page:D5}.jsonl";

    private async Task<BlobContainerClient> StateAsync(CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(workflow.Value.StateContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        return container;
    }

    private static async Task UploadAsync(
        BlobContainerClient container, string name, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(text.ToString()), overwrite: true, cancellationToken);
    }

    private static async Task<IEnumerable<string>> ReadLinesAsync(
        BlobContainerClient container, string name, CancellationToken cancellationToken)
    {
        var content = (await container.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value.Content;
        return content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private sealed record StoredLine(int Line, JsonObject Document);
}
