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
/// job id and the end of its lease in metadata; taken over (If-Match) once its lease has passed. A job giving its slot
/// back deletes it when nobody waits, and otherwise ends its lease and leaves it for the line. So a missing slot is
/// free for anyone: a job asking for the first time creates the slot its id hashes to without reading anything — jobs
/// asking at once rarely collide and a free slot costs one write — and only when that fails does it read the line and
/// the slots. A slot whose lease has passed goes to the jobs in line first, in order.</item>
/// <item><c>admission/line/{ticks}-{job}</c> … one per job waiting while no slot is free, named by arrival so a listing
/// is the line in order; each ask refreshes it, and one nobody asked about for a while is dropped.</item>
/// <item><c>admission/turns/turn-000</c> … one per submission allowed in a rate window, taken just before a POST and
/// free again a window later, so at most that many submissions share any window.</item>
/// </list>
/// Blob leases are not used: they last at most 60 s unless renewed, and a job holds its slot for as long as its task runs.
/// </summary>
public sealed class AdmissionSlots(BlobServiceClient blobs, IOptions<WorkflowOptions> options, TimeProvider time)
{
    public const string SlotsPrefix = "admission/slots/";

    public const string LinePrefix = "admission/line/";

    public const string TurnsPrefix = "admission/turns/";

    /// <summary>
    /// The rate window, a little longer than the service's second: a submission recorded here reaches the service a
    /// moment later, and the margin keeps three of them from landing inside one of its seconds.
    /// </summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMilliseconds(1200);

    private const string JobKey = "job";
    private const string SinceKey = "since";
    private const string UntilKey = "until";
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
    /// <paramref name="inLine"/>: the job was refused before, so it has a place in line to give up when granted.
    /// </summary>
    public async Task<SlotGrant> AcquireAsync(string jobId, TimeSpan lease, CancellationToken cancellationToken, bool inLine = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        var capacity = _options.MaxConcurrentTasks;
        var now = time.GetUtcNow().UtcDateTime;
        var order = ProbeOrder(jobId, capacity).Select(SlotName).ToArray();

        // The usual case when slots are free: one write takes the slot the job's id hashes to. A slot that exists is
        // held, or was given back while jobs waited (theirs first), or its holder's lease has passed: the line decides.
        if (!inLine && await TryCreateAsync(order[0], Metadata(jobId, now, now + lease), cancellationToken))
        {
            return new SlotGrant(true, 0, now);
        }

        var line = await ListAsync(LinePrefix, cancellationToken);
        var waiting = line.Where(w => w.Until > now - StaleAfter).OrderBy(w => w.Name, StringComparer.Ordinal).ToList();
        var place = waiting.FindIndex(w => w.JobId == jobId);
        var position = place >= 0 ? place : waiting.Count;
        var mine = line.Where(w => w.JobId == jobId).ToList();

        // At the head of the line, the slot the job's id hashes to first: its own already, missing, or past its lease.
        if (inLine && position == 0 && await TryTakeAsync(order[0], jobId, now, now + lease, cancellationToken) is { } since)
        {
            await DeleteAsync(mine, cancellationToken);
            return new SlotGrant(true, 0, since);
        }

        // At most `capacity` slots are free, so a job further back in line need not look at them; a job not yet in
        // line looks once all the same, as it may be asking again for a slot it took.
        for (var attempt = 1; attempt <= ClaimAttempts && (position < capacity || (attempt == 1 && place < 0)); attempt++)
        {
            var slots = (await ListAsync(SlotsPrefix, cancellationToken)).ToDictionary(s => s.Name, StringComparer.Ordinal);
            if (slots.Values.FirstOrDefault(s => s.JobId == jobId && s.Until > now) is { } own)
            {
                await DeleteAsync(mine, cancellationToken);
                return new SlotGrant(true, 0, own.Since);
            }

            // The first jobs in line have the free slots to themselves; slots numbered past the capacity (it was
            // lowered) count while held but are not taken again.
            var holders = slots.Values.Count(s => s.Until > now);
            if (position >= capacity - holders)
            {
                break;
            }

            foreach (var name in order)
            {
                var slot = slots.GetValueOrDefault(name);
                if ((slot is null || slot.Until <= now) && await TryClaimAsync(name, slot, Metadata(jobId, now, now + lease), cancellationToken))
                {
                    await DeleteAsync(mine, cancellationToken);
                    return new SlotGrant(true, 0, now);
                }
            }

            now = time.GetUtcNow().UtcDateTime;
        }

        await KeepPlaceAsync(jobId, place >= 0 ? waiting[place] : null, now, cancellationToken);
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

    /// <summary>
    /// Gives back every slot the job holds (more than one only if an ask was repeated after its answer was lost) and
    /// its place in line. A slot is deleted when nobody waits; while jobs wait, its lease ends and it stays, so that a
    /// newcomer's first write cannot take it ahead of them. Safe to repeat. True when the job held a slot or a place.
    /// </summary>
    public async Task<bool> ReleaseAsync(string jobId, CancellationToken cancellationToken) =>
        (await GiveBackAsync(jobId, cancellationToken)).Held;

    /// <summary>
    /// Gives back the job's slot and place in line (<see cref="ReleaseAsync"/>) and names the jobs to wake: the first
    /// in line, as many as slots are now free, so the caller can tell them to ask again at once.
    /// </summary>
    public async Task<SlotRelease> GiveBackAsync(string jobId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        var slots = ListAsync(SlotsPrefix, cancellationToken);
        var line = ListAsync(LinePrefix, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var mine = (await slots).Where(s => s.JobId == jobId).ToList();
        var waiting = await line;
        var place = waiting.Where(w => w.JobId == jobId).ToList();

        // Slots numbered past the capacity (it was lowered) are never left for the line.
        var othersWait = waiting.Any(w => w.JobId != jobId && w.Until > now - StaleAfter);
        var current = Enumerable.Range(0, _options.MaxConcurrentTasks).Select(SlotName).ToHashSet(StringComparer.Ordinal);
        var left = othersWait ? mine.Where(s => current.Contains(s.Name)).ToList() : [];
        foreach (var slot in left.Where(s => s.Until > now))
        {
            await EndLeaseAsync(slot, now, cancellationToken);
        }

        await DeleteAsync(mine.Except(left).Concat(place), cancellationToken);

        // Slots free now: the current ones nobody else holds (this job's are free once given back).
        var held = (await slots).Count(s => current.Contains(s.Name) && s.JobId != jobId && s.Until > now);
        var free = Math.Max(0, current.Count - held);
        var wake = waiting.Where(w => w.JobId != jobId && w.Until > now - StaleAfter)
            .OrderBy(w => w.Name, StringComparer.Ordinal).Select(w => w.JobId).Distinct(StringComparer.Ordinal).Take(free).ToArray();
        return new SlotRelease(mine.Any(s => s.Until > now) || place.Count > 0, wake);
    }

    /// <summary>The jobs holding slots now (expired holders are not counted).</summary>
    public async Task<IReadOnlyList<string>> HoldersAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return (await ListAsync(SlotsPrefix, cancellationToken)).Where(r => r.Until > now).Select(r => r.JobId).ToArray();
    }

    private static string SlotName(int index) => string.Create(CultureInfo.InvariantCulture, $"{SlotsPrefix}slot-{index:D3}");

    private static string TurnName(int index) => string.Create(CultureInfo.InvariantCulture, $"{TurnsPrefix}turn-{index:D3}");

    /// <summary>Every slot number once, starting at one fixed by the job id, so jobs asking at once spread over the slots.</summary>
    internal static IEnumerable<int> ProbeOrder(string jobId, int capacity)
    {
        var start = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)), 0) % (uint)capacity);
        return Enumerable.Range(0, capacity).Select(i => (start + i) % capacity);
    }

    /// <summary>
    /// Takes a slot without having read it: created if absent, else taken over if its lease has passed. Returns since
    /// when the job holds it (it may hold it already), or null.
    /// </summary>
    private async Task<DateTime?> TryTakeAsync(string name, string holder, DateTime since, DateTime until, CancellationToken cancellationToken)
    {
        if (await TryCreateAsync(name, Metadata(holder, since, until), cancellationToken))
        {
            return since;
        }

        return await ReadAsync(name, cancellationToken) switch
        {
            { } record when record.JobId == holder && record.Until > since => record.Since,
            { } record when record.Until <= since && await TryClaimAsync(name, record, Metadata(holder, since, until), cancellationToken) => since,
            _ => null,
        };
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

    /// <summary>Joins the line at its end, or tells the job's place that it is still waiting.</summary>
    private async Task KeepPlaceAsync(string jobId, SlotRecord? place, DateTime now, CancellationToken cancellationToken)
    {
        if (place is not null)
        {
            try
            {
                await Container.GetBlobClient(place.Name).SetMetadataAsync(Metadata(jobId, place.Since, now), cancellationToken: cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Dropped as stale in the meantime: the job joins again at the end.
            }
        }

        var name = string.Create(CultureInfo.InvariantCulture, $"{LinePrefix}{now.Ticks:D19}-{Uri.EscapeDataString(jobId)}");
        await TryCreateAsync(name, Metadata(jobId, now, now), cancellationToken);
    }

    /// <summary>Ends a slot's lease now, as read; one changed or gone since belongs to someone else now, or is gone already.</summary>
    private async Task EndLeaseAsync(SlotRecord slot, DateTime now, CancellationToken cancellationToken)
    {
        try
        {
            await Container.GetBlobClient(slot.Name).SetMetadataAsync(Metadata(slot.JobId, slot.Since, now), new BlobRequestConditions { IfMatch = slot.ETag }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
        }
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
