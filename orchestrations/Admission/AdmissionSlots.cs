using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Admission;

/// <summary>
/// The account's limits — 2 running tasks, 2 submissions per second — kept as small blobs in the state container so
/// every host process shares them, one blob per record so that jobs asking at once do not contend on one ETag:
/// <list type="bullet">
/// <item><c>admission/slots/slot-000</c> … one per task slot, created (If-None-Match) by the job that takes it, with the
/// job id and the end of its lease in metadata; deleted when the job gives it back, taken over (If-Match) once its
/// lease has passed. A job first tries the slot its id hashes to, so jobs asking at once rarely collide.</item>
/// <item><c>admission/line/{ticks}-{job}</c> … one per job waiting while no slot is free, named by arrival so a listing
/// is the line in order; each ask refreshes it, and one nobody asked about for a while is dropped.</item>
/// <item><c>admission/jobs/{job}</c> … created at a job's first ask: a job that finds none cannot hold a slot yet, so
/// it may take the slot its id hashes to at once; a job asking again lists the slots, and finds its own.</item>
/// <item><c>admission/turns/turn-000</c> … one per submission allowed in a rate window, taken just before a POST and
/// free again a window later, so at most that many submissions share any window.</item>
/// </list>
/// Blob leases are not used: they last at most 60 s unless renewed, and a job holds its slot for as long as its task runs.
/// </summary>
public sealed class AdmissionSlots(BlobServiceClient blobs, IOptions<WorkflowOptions> options, TimeProvider time)
{
    public const string SlotsPrefix = "admission/slots/";

    public const string LinePrefix = "admission/line/";

    public const string JobsPrefix = "admission/jobs/";

    public const string TurnsPrefix = "admission/turns/";

    /// <summary>
    /// The rate window, a little longer than the service's second: a submission recorded here reaches the service a
    /// moment later, and the margin keeps three of them from landing inside one of its seconds.
    /// </summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMilliseconds(1200);

    private const string JobKey = "job";
    private const string SinceKey = "since";
    private const string UntilKey = "until";
    private const string SlotKey = "slot";
    private const string LineKey = "line";
    private const string Submission = "submission";

    /// <summary>How many times a job looks again after losing every free slot it saw to other jobs, before it waits.</summary>
    private const int ClaimAttempts = 5;

    private readonly WorkflowOptions _options = options.Value;

    private BlobContainerClient Container => blobs.GetBlobContainerClient(_options.StateContainer);

    /// <summary>A place in line nobody has asked about for this long is dropped: several of the job's asking intervals.</summary>
    private TimeSpan StaleAfter => TimeSpan.FromTicks(Math.Max(_options.SlotRetryInterval.Ticks * 6, TimeSpan.FromMinutes(2).Ticks));

    /// <summary>
    /// Takes a slot for <paramref name="jobId"/> if one is free and no job that came earlier is still waiting for it;
    /// otherwise keeps its place in line. Holding a slot already answers granted again, so the call is safe to repeat.
    /// </summary>
    public async Task<SlotGrant> AcquireAsync(string jobId, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        var capacity = _options.MaxConcurrentTasks;
        var now = time.GetUtcNow().UtcDateTime;
        var hashed = SlotName(ProbeOrder(jobId, capacity).First());

        // The job's record names the one slot it may hold (written before each try to take one) and its place in line.
        var ticket = new Ticket(hashed, null);
        var created = TryCreateAsync(JobName(jobId), TicketMetadata(jobId, now, ticket), cancellationToken);
        var listed = ListAsync(LinePrefix, cancellationToken);
        await Task.WhenAll(created, listed);
        var firstAsk = await created;
        if (!firstAsk)
        {
            ticket = await ReadTicketAsync(jobId, cancellationToken) ?? new Ticket(null, null);
            if (ticket.Slot is { } named && await ReadAsync(named, cancellationToken) is { } slot && slot.JobId == jobId && slot.Until > now)
            {
                return new SlotGrant(true, 0, slot.Since);
            }
        }

        var line = await listed;
        var waiting = line.Where(w => w.Until > now - StaleAfter).OrderBy(w => w.Name, StringComparer.Ordinal).ToList();
        var place = waiting.FindIndex(w => w.JobId == jobId);
        var position = place >= 0 ? place : waiting.Count;
        var mine = line.Where(w => w.JobId == jobId).ToList();

        // The usual case when slots are free: one request takes the slot the job's id hashes to.
        if (firstAsk && waiting.Count == 0 && await TryTakeAsync(hashed, jobId, now, now + lease, cancellationToken))
        {
            return new SlotGrant(true, 0, now);
        }

        // At most `capacity` slots are free, so a job further back in line need not look at them.
        for (var attempt = 1; position < capacity && attempt <= ClaimAttempts; attempt++)
        {
            var slots = (await ListAsync(SlotsPrefix, cancellationToken)).ToDictionary(s => s.Name, StringComparer.Ordinal);
            var holders = slots.Values.Count(s => s.Until > now);

            // The first jobs in line have the free slots to themselves; slots numbered past the capacity (it was
            // lowered) count while held but are not taken again.
            if (position >= capacity - holders)
            {
                break;
            }

            foreach (var name in ProbeOrder(jobId, capacity).Select(SlotName))
            {
                var slot = slots.GetValueOrDefault(name);
                if (slot is null || slot.Until <= now)
                {
                    ticket = ticket with { Slot = name };
                    await WriteTicketAsync(jobId, now, ticket, cancellationToken);
                    if (await TryClaimAsync(name, slot, Metadata(jobId, now, now + lease), cancellationToken))
                    {
                        await DeleteAsync(mine, cancellationToken);
                        return new SlotGrant(true, 0, now);
                    }
                }
            }

            now = time.GetUtcNow().UtcDateTime;
        }

        var entry = await KeepPlaceAsync(jobId, place >= 0 ? waiting[place] : null, now, cancellationToken);
        if (entry != ticket.Line)
        {
            await WriteTicketAsync(jobId, now, ticket with { Line = entry }, cancellationToken);
        }

        await DeleteAsync(line.Where(w => w.Until <= now - StaleAfter), cancellationToken);
        return new SlotGrant(false, position, null);
    }

    /// <summary>Waits until a submission fits the account's rate, and records it: call right before the POST.</summary>
    public async Task WaitForSubmitTurnAsync(CancellationToken cancellationToken)
    {
        var rate = _options.SubmissionsPerSecond;
        while (true)
        {
            // A few turns picked at random first: while turns are free, a read and a write take one.
            var now = time.GetUtcNow().UtcDateTime;
            for (var probe = 0; probe < Math.Min(rate, 3); probe++)
            {
                var name = TurnName(Random.Shared.Next(rate));
                var turn = await ReadAsync(name, cancellationToken);
                if (turn is null || turn.Until <= now)
                {
                    if (await TryClaimAsync(name, turn, Metadata(Submission, now, now + RateWindow), cancellationToken))
                    {
                        return;
                    }
                }
            }

            var turns = (await ListAsync(TurnsPrefix, cancellationToken)).ToDictionary(t => t.Name, StringComparer.Ordinal);
            now = time.GetUtcNow().UtcDateTime;
            var nextFree = DateTime.MaxValue;
            foreach (var name in Enumerable.Range(0, rate).Select(TurnName))
            {
                var turn = turns.GetValueOrDefault(name);
                if (turn is not null && turn.Until > now)
                {
                    nextFree = turn.Until < nextFree ? turn.Until : nextFree;
                }
                else if (await TryClaimAsync(name, turn, Metadata(Submission, now, now + RateWindow), cancellationToken))
                {
                    return;
                }
            }

            // Every turn in use: wait for the first to come free (had others taken the free ones first, look again now).
            if (nextFree != DateTime.MaxValue)
            {
                await Task.Delay(nextFree - now, time, cancellationToken);
            }
        }
    }

    /// <summary>Gives back a job's slot, or its place in line. Safe to repeat.</summary>
    public async Task<bool> ReleaseAsync(string jobId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (await ReadTicketAsync(jobId, cancellationToken) is not { } ticket)
        {
            return false;
        }

        var mine = new List<SlotRecord>();
        foreach (var name in new[] { ticket.Slot, ticket.Line }.OfType<string>())
        {
            if (await ReadAsync(name, cancellationToken) is { } record && record.JobId == jobId)
            {
                mine.Add(record);
            }
        }

        await DeleteAsync(mine, cancellationToken);
        try
        {
            await Container.GetBlobClient(JobName(jobId)).DeleteAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }

        return mine.Count > 0;
    }

    /// <summary>The jobs holding slots now (expired holders are not counted).</summary>
    public async Task<IReadOnlyList<string>> HoldersAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return (await ListAsync(SlotsPrefix, cancellationToken)).Where(r => r.Until > now).Select(r => r.JobId).ToArray();
    }

    private static string SlotName(int index) => string.Create(CultureInfo.InvariantCulture, $"{SlotsPrefix}slot-{index:D3}");

    private static string TurnName(int index) => string.Create(CultureInfo.InvariantCulture, $"{TurnsPrefix}turn-{index:D3}");

    private static string JobName(string jobId) => JobsPrefix + Uri.EscapeDataString(jobId);

    /// <summary>Every slot number once, starting at one fixed by the job id, so jobs asking at once spread over the slots.</summary>
    internal static IEnumerable<int> ProbeOrder(string jobId, int capacity)
    {
        var start = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)), 0) % (uint)capacity);
        return Enumerable.Range(0, capacity).Select(i => (start + i) % capacity);
    }

    /// <summary>Takes a slot without having read it: created if absent, else taken over if its lease has passed.</summary>
    private async Task<bool> TryTakeAsync(string name, string holder, DateTime since, DateTime until, CancellationToken cancellationToken)
    {
        if (await TryCreateAsync(name, Metadata(holder, since, until), cancellationToken))
        {
            return true;
        }

        return await ReadAsync(name, cancellationToken) is { } record && record.Until <= since
            && await TryClaimAsync(name, record, Metadata(holder, since, until), cancellationToken);
    }

    private Task<bool> TryCreateAsync(string name, Dictionary<string, string> metadata, CancellationToken cancellationToken) =>
        TryClaimAsync(name, null, metadata, cancellationToken);

    /// <summary>Creates the record, or takes over an expired one unchanged since it was read; false if someone got there first.</summary>
    private async Task<bool> TryClaimAsync(string name, SlotRecord? expired, Dictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var upload = new BlobUploadOptions
        {
            Metadata = metadata,
            Conditions = expired is null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = expired.ETag },
        };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Container.GetBlobClient(name).UploadAsync(BinaryData.Empty, upload, cancellationToken);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 || (ex.Status == 404 && expired is not null))
            {
                return false;
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && attempt == 1)
            {
                await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            }
        }
    }

    private async Task<SlotRecord?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await Container.GetBlobClient(name).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return SlotRecord.From(name, properties.Metadata, properties.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private async Task<Ticket?> ReadTicketAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = (await Container.GetBlobClient(JobName(jobId)).GetPropertiesAsync(cancellationToken: cancellationToken)).Value.Metadata;
            return new Ticket(metadata.TryGetValue(SlotKey, out var slot) ? slot : null, metadata.TryGetValue(LineKey, out var line) ? line : null);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Only the job itself writes its record, so the write needs no condition.</summary>
    private async Task WriteTicketAsync(string jobId, DateTime now, Ticket ticket, CancellationToken cancellationToken) =>
        await Container.GetBlobClient(JobName(jobId)).UploadAsync(BinaryData.Empty, new BlobUploadOptions { Metadata = TicketMetadata(jobId, now, ticket) }, cancellationToken);

    private static Dictionary<string, string> TicketMetadata(string jobId, DateTime now, Ticket ticket)
    {
        var metadata = Metadata(jobId, now, now);
        if (ticket.Slot is { } slot)
        {
            metadata[SlotKey] = slot;
        }

        if (ticket.Line is { } line)
        {
            metadata[LineKey] = line;
        }

        return metadata;
    }

    /// <summary>Joins the line at its end, or tells the job's place that it is still waiting; returns the place's name.</summary>
    private async Task<string> KeepPlaceAsync(string jobId, SlotRecord? place, DateTime now, CancellationToken cancellationToken)
    {
        if (place is not null)
        {
            try
            {
                await Container.GetBlobClient(place.Name).SetMetadataAsync(Metadata(jobId, place.Since, now), cancellationToken: cancellationToken);
                return place.Name;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Dropped as stale in the meantime: the job joins again at the end.
            }
        }

        var name = string.Create(CultureInfo.InvariantCulture, $"{LinePrefix}{now.Ticks:D19}-{Uri.EscapeDataString(jobId)}");
        await TryCreateAsync(name, Metadata(jobId, now, now), cancellationToken);
        return name;
    }

    /// <summary>Deletes records as they were read; one changed or gone since belongs to someone else now, or is gone already.</summary>
    private async Task DeleteAsync(IEnumerable<SlotRecord> records, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            try
            {
                await Container.GetBlobClient(record.Name).DeleteAsync(DeleteSnapshotsOption.None, new BlobRequestConditions { IfMatch = record.ETag }, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
            }
        }
    }

    private async Task<List<SlotRecord>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var records = new List<SlotRecord>();
        try
        {
            await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, Traits = BlobTraits.Metadata }, cancellationToken))
            {
                if (item.Properties.ETag is { } etag && SlotRecord.From(item.Name, item.Metadata, etag) is { } record)
                {
                    records.Add(record);
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No container yet: nothing held, nobody waiting.
        }

        return records;
    }

    private static Dictionary<string, string> Metadata(string holder, DateTime since, DateTime until) => new(StringComparer.Ordinal)
    {
        [JobKey] = Uri.EscapeDataString(holder),
        [SinceKey] = since.ToString("O", CultureInfo.InvariantCulture),
        [UntilKey] = until.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>The job's record: the slot it holds or last tried to take, and its place in line.</summary>
    private sealed record Ticket(string? Slot, string? Line);

    /// <summary>
    /// One record as read. For a slot or turn: who holds it, since when, until when. For a place in line: who waits,
    /// since when, and (as <see cref="Until"/>) when it last asked.
    /// </summary>
    private sealed record SlotRecord(string Name, string JobId, DateTime Since, DateTime Until, ETag ETag)
    {
        public static SlotRecord? From(string name, IDictionary<string, string>? metadata, ETag etag) =>
            metadata is not null && metadata.TryGetValue(JobKey, out var job)
                && TryParse(metadata, SinceKey, out var since) && TryParse(metadata, UntilKey, out var until)
                ? new SlotRecord(name, Uri.UnescapeDataString(job), since, until, etag)
                : null;

        private static bool TryParse(IDictionary<string, string> metadata, string key, out DateTime value)
        {
            value = default;
            return metadata.TryGetValue(key, out var text)
                && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out value);
        }
    }
}
