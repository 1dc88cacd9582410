using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Admission;

/// <summary>
/// The account's limits — 2 running tasks, 2 submissions per second — kept in one blob updated with ETags so every
/// host process shares them. Jobs that ask for a task slot while none is free join a line and are served first
/// come, first served; a slot whose holder never gives it back (crashed, terminated) expires and is reclaimed.
/// Submissions take a turn just before their POST, so they reach the service spaced within its rate.
/// </summary>
public sealed class AdmissionSlots(BlobServiceClient blobs, IOptions<WorkflowOptions> options, TimeProvider time)
{
    public const string BlobName = "admission/slots.json";

    /// <summary>
    /// The rate window, a little longer than the service's second: a submission recorded here reaches the service a
    /// moment later, and the margin keeps three of them from landing inside one of its seconds.
    /// </summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMilliseconds(1200);

    private readonly WorkflowOptions _options = options.Value;

    private BlobClient Blob => blobs.GetBlobContainerClient(_options.StateContainer).GetBlobClient(BlobName);

    /// <summary>
    /// Takes a slot for <paramref name="jobId"/> if one is free and it is the job's turn; otherwise keeps its place
    /// in line. Holding a slot already answers granted again, so the call is safe to repeat.
    /// </summary>
    public Task<SlotGrant> AcquireAsync(string jobId, TimeSpan lease, CancellationToken cancellationToken) =>
        UpdateAsync(state =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            if (state.Holders.Find(h => h.JobId == jobId) is { } held)
            {
                return new SlotGrant(true, 0, held.AcquiredAt);
            }

            var waiting = state.Waiting.Find(w => w.JobId == jobId);
            if (waiting is null)
            {
                waiting = new SlotWaiter { JobId = jobId, Since = now };
                state.Waiting.Add(waiting);
            }

            waiting.LastSeen = now;
            var position = state.Waiting.OrderBy(w => w.Since).ThenBy(w => w.JobId, StringComparer.Ordinal).ToList().IndexOf(waiting);
            if (position >= _options.MaxConcurrentTasks - state.Holders.Count)
            {
                return new SlotGrant(false, position, null);
            }

            state.Waiting.Remove(waiting);
            state.Holders.Add(new SlotHolder { JobId = jobId, AcquiredAt = now, ExpiresAt = now + lease });
            return new SlotGrant(true, 0, now);
        }, cancellationToken);

    /// <summary>Waits until a submission fits the account's rate, and records it: call right before the POST.</summary>
    public async Task WaitForSubmitTurnAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = await UpdateAsync(state =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                if (state.RecentSubmissions.Count < _options.SubmissionsPerSecond)
                {
                    state.RecentSubmissions.Add(now);
                    return TimeSpan.Zero;
                }

                return state.RecentSubmissions.Min() + RateWindow - now;
            }, cancellationToken);
            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(wait, time, cancellationToken);
        }
    }

    /// <summary>Gives back a job's slot, or its place in line. Safe to repeat.</summary>
    public Task<bool> ReleaseAsync(string jobId, CancellationToken cancellationToken) =>
        UpdateAsync(state => state.Holders.RemoveAll(h => h.JobId == jobId) + state.Waiting.RemoveAll(w => w.JobId == jobId) > 0, cancellationToken);

    /// <summary>The jobs holding slots now (after expired ones are dropped).</summary>
    public async Task<IReadOnlyList<string>> HoldersAsync(CancellationToken cancellationToken) =>
        (await ReadAsync(cancellationToken)).State.Holders.Select(h => h.JobId).ToArray();

    private async Task<T> UpdateAsync<T>(Func<SlotState, T> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (state, etag) = await ReadAsync(cancellationToken);
            var result = change(state);
            try
            {
                await Blob.UploadAsync(
                    BinaryData.FromObjectAsJson(state, JsonOptions),
                    new BlobUploadOptions { Conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All } },
                    cancellationToken);
                return result;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 50)
            {
                // Another job changed the slots first: read them again and redo the change.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * Math.Min(attempt, 10))), cancellationToken);
            }
        }
    }

    private async Task<(SlotState State, ETag? ETag)> ReadAsync(CancellationToken cancellationToken)
    {
        SlotState state;
        ETag? etag;
        try
        {
            var download = await Blob.DownloadContentAsync(cancellationToken);
            state = download.Value.Content.ToObjectFromJson<SlotState>(JsonOptions) ?? new SlotState();
            etag = download.Value.Details.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            await blobs.GetBlobContainerClient(_options.StateContainer).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            (state, etag) = (new SlotState(), null);
        }

        // Reclaim slots past their lease and places in line nobody has asked about for a while.
        var now = time.GetUtcNow().UtcDateTime;
        var stale = TimeSpan.FromTicks(Math.Max(_options.SlotRetryInterval.Ticks * 6, TimeSpan.FromMinutes(2).Ticks));
        state.Holders.RemoveAll(h => h.ExpiresAt <= now);
        state.Waiting.RemoveAll(w => now - w.LastSeen > stale);
        state.RecentSubmissions.RemoveAll(t => now - t >= RateWindow);
        return (state, etag);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private sealed class SlotState
    {
        public List<SlotHolder> Holders { get; init; } = [];

        public List<SlotWaiter> Waiting { get; init; } = [];

        public List<DateTime> RecentSubmissions { get; init; } = [];
    }

    private sealed class SlotHolder
    {
        public required string JobId { get; init; }

        public DateTime AcquiredAt { get; init; }

        public DateTime ExpiresAt { get; init; }
    }

    private sealed class SlotWaiter
    {
        public required string JobId { get; init; }

        public DateTime Since { get; init; }

        public DateTime LastSeen { get; set; }
    }
}
