using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// The hub's storage: one blob per instance (written with ETag concurrency), a control queue and a work-item
/// queue, a poison queue, and a container for payloads too large for a queue message.
/// </summary>
internal sealed class DurableStore
{
    /// <summary>Results up to this size travel inside the queue message (limit 64 KiB).</summary>
    public const int MaxInlinePayloadChars = 40 * 1024;

    private const string StatusKey = "runtimestatus";
    private const string NameKey = "orchestration";
    private const string CreatedKey = "createdat";
    private const string UpdatedKey = "lastupdatedat";

    private readonly DurableOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _createGate = new();
    private Task? _created;

    public DurableStore(BlobServiceClient blobs, QueueServiceClient queues, IOptions<DurableOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        var hub = _options.HubName;
        Instances = blobs.GetBlobContainerClient($"{hub}-instances");
        Payloads = blobs.GetBlobContainerClient($"{hub}-payloads");
        Control = queues.GetQueueClient($"{hub}-control");
        WorkItems = queues.GetQueueClient($"{hub}-workitems");
        Poison = queues.GetQueueClient($"{hub}-poison");
    }

    public BlobContainerClient Instances { get; }

    public BlobContainerClient Payloads { get; }

    public QueueClient Control { get; }

    public QueueClient WorkItems { get; }

    public QueueClient Poison { get; }

    /// <summary>Creates the hub's containers and queues, once per process.</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        lock (_createGate)
        {
            if (_created is not { IsFaulted: false, IsCanceled: false })
            {
                _created = CreateAsync(cancellationToken);
            }

            return _created;
        }
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        await Instances.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Payloads.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Control.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await WorkItems.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }

    public async Task<(InstanceState State, ETag ETag)?> ReadAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            var download = await Instances.GetBlobClient(BlobName(instanceId)).DownloadContentAsync(cancellationToken);
            var state = download.Value.Content.ToObjectFromJson<InstanceState>(DurableJson.Options)
                ?? throw new InvalidDataException($"The state of instance '{instanceId}' is empty.");
            return (state, download.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Creates an instance's blob; false when one already exists.</summary>
    public async Task<bool> TryCreateAsync(InstanceState state, CancellationToken cancellationToken) =>
        await TryUploadAsync(state, new BlobRequestConditions { IfNoneMatch = ETag.All }, cancellationToken) is not null;

    /// <summary>Replaces an instance's blob if it still has <paramref name="etag"/>; null when another writer won.</summary>
    public Task<ETag?> TryReplaceAsync(InstanceState state, ETag etag, CancellationToken cancellationToken) =>
        TryUploadAsync(state, new BlobRequestConditions { IfMatch = etag }, cancellationToken);

    public async Task<bool> DeleteAsync(string instanceId, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            var deleted = await Instances.GetBlobClient(BlobName(instanceId)).DeleteIfExistsAsync(
                conditions: new BlobRequestConditions { IfMatch = etag }, cancellationToken: cancellationToken);
            await foreach (var payload in Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = instanceId + "/" }, cancellationToken))
            {
                await Payloads.DeleteBlobIfExistsAsync(payload.Name, cancellationToken: cancellationToken);
            }

            return deleted.Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }

    /// <summary>Every instance's status from blob metadata, without reading the blobs.</summary>
    public async IAsyncEnumerable<OrchestrationStatus> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var blob in Instances.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }, cancellationToken))
        {
            var metadata = blob.Metadata;
            if (!blob.Name.EndsWith(".json", StringComparison.Ordinal)
                || !metadata.TryGetValue(StatusKey, out var status)
                || !Enum.TryParse<OrchestrationRuntimeStatus>(status, out var runtimeStatus))
            {
                continue;
            }

            yield return new OrchestrationStatus(
                blob.Name[..^".json".Length],
                metadata.TryGetValue(NameKey, out var name) ? name : "",
                runtimeStatus,
                ParseTime(metadata.TryGetValue(CreatedKey, out var created) ? created : null),
                ParseTime(metadata.TryGetValue(UpdatedKey, out var updated) ? updated : null));
        }
    }

    /// <summary>
    /// Sends a message to its queue. A timer due later than the queue allows is sent with the longest visibility
    /// and re-sent when it surfaces early (see <see cref="IsEarly"/>).
    /// </summary>
    public async Task SendAsync(WorkMessage message, CancellationToken cancellationToken)
    {
        var queue = message.IsControl ? Control : WorkItems;
        TimeSpan? delay = null;
        if (message.Kind == WorkMessageKind.TimerFired)
        {
            var wait = message.FireAt - _time.GetUtcNow().UtcDateTime;
            delay = wait <= TimeSpan.Zero ? null : wait > _options.MaxQueueVisibility ? _options.MaxQueueVisibility : wait;
        }

        await queue.SendMessageAsync(DurableJson.Serialize(message), delay, TimeSpan.FromSeconds(-1), cancellationToken);
    }

    /// <summary>True for a chained timer message that surfaced before its due time.</summary>
    public bool IsEarly(WorkMessage message) =>
        message.Kind == WorkMessageKind.TimerFired && message.FireAt > _time.GetUtcNow().UtcDateTime;

    public static async Task<QueueMessage[]> ReceiveAsync(QueueClient queue, int maxMessages, TimeSpan visibility, CancellationToken cancellationToken) =>
        (await queue.ReceiveMessagesAsync(maxMessages, visibility, cancellationToken)).Value;

    public static async Task DeleteMessageAsync(QueueClient queue, QueueMessage message)
    {
        try
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Another process took the message after its visibility lapsed and deleted it: nothing left to do.
        }
    }

    /// <summary>Hides a message for <paramref name="visibility"/> more; returns the new pop receipt.</summary>
    public static async Task<string> ExtendAsync(QueueClient queue, string messageId, string popReceipt, TimeSpan visibility, CancellationToken cancellationToken) =>
        (await queue.UpdateMessageAsync(messageId, popReceipt, visibilityTimeout: visibility, cancellationToken: cancellationToken)).Value.PopReceipt;

    public async Task MoveToPoisonAsync(QueueClient queue, QueueMessage message)
    {
        await Poison.SendMessageAsync(message.MessageText, null, TimeSpan.FromSeconds(-1), CancellationToken.None);
        await DeleteMessageAsync(queue, message);
    }

    public async Task<string> StorePayloadAsync(string instanceId, string name, string data, CancellationToken cancellationToken)
    {
        var blobName = $"{instanceId}/{name}";
        await Payloads.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(data), overwrite: true, cancellationToken);
        return blobName;
    }

    public async Task<string> LoadPayloadAsync(string blobName, CancellationToken cancellationToken) =>
        (await Payloads.GetBlobClient(blobName).DownloadContentAsync(cancellationToken)).Value.Content.ToString();

    private async Task<ETag?> TryUploadAsync(InstanceState state, BlobRequestConditions conditions, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Instances.GetBlobClient(BlobName(state.InstanceId)).UploadAsync(
                BinaryData.FromObjectAsJson(state, DurableJson.Options),
                new BlobUploadOptions
                {
                    Conditions = conditions,
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Metadata = new Dictionary<string, string>
                    {
                        [StatusKey] = state.Status.ToString(),
                        [NameKey] = state.Name,
                        [CreatedKey] = FormatTime(state.CreatedAt),
                        [UpdatedKey] = FormatTime(state.LastUpdatedAt),
                    },
                },
                cancellationToken);
            return response.Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return null;
        }
    }

    private static string BlobName(string instanceId) => instanceId + ".json";

    private static string FormatTime(DateTime time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string? value) =>
        DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : default;
}
