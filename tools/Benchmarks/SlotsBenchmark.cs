using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// Admission alone, on Azurite: N jobs ask at once for M task slots, each holds its slot for a while and gives it back,
/// a refused job asks again after a pause. Prints how long the jobs that found a free slot waited for it, how long a
/// freed slot stayed unused before the next job in line got it, and the most slots held at once (never above M); then
/// N submission turns at M per second, against the ideal spacing.
/// </summary>
internal static class SlotsBenchmark
{
    public static async Task<int> RunAsync(string storage, int jobs, int slots, TimeSpan hold, TimeSpan retry)
    {
        var options = Options.Create(new WorkflowOptions { MaxConcurrentTasks = slots, SubmissionsPerSecond = slots, StateContainer = "bench-state" });
        var requests = new RequestCounter();
        var clientOptions = new BlobClientOptions();
        clientOptions.AddPolicy(requests, Azure.Core.HttpPipelinePosition.PerCall);
        var admission = new AdmissionSlots(new BlobServiceClient(storage, clientOptions), options, TimeProvider.System);
        await admission.HoldersAsync(CancellationToken.None);

        var failures = 0;

        // A call that gives up (storage busy) is tried again at once, as the orchestrator's retry policy would.
        async Task<T> Retried<T>(Func<Task<T>> call)
        {
            while (true)
            {
                try
                {
                    return await call();
                }
                catch (Azure.RequestFailedException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }

        var held = 0;
        var maxHeld = 0;
        var clock = Stopwatch.StartNew();
        var runs = await Task.WhenAll(Enumerable.Range(0, jobs).Select(async i =>
        {
            var id = $"bench-{i}";
            var asked = 0;
            var start = clock.Elapsed;
            while (!(await Retried(() => admission.AcquireAsync(id, TimeSpan.FromMinutes(10), CancellationToken.None, inLine: asked > 0))).Granted)
            {
                asked++;
                await Task.Delay(retry);
            }

            var granted = clock.Elapsed;
            var now = Interlocked.Increment(ref held);
            InterlockedMax(ref maxHeld, now);
            await Task.Delay(hold);
            Interlocked.Decrement(ref held);
            var released = clock.Elapsed;
            await Retried(() => admission.ReleaseAsync(id, CancellationToken.None));
            return (Wait: granted - start, Granted: granted, Released: released, Refusals: asked);
        }));
        var total = clock.Elapsed;
        var slotRequests = requests.Take();

        // The first M grants found a slot free when they asked; grant k after them reuses the slot freed by release k - M.
        var byGrant = runs.OrderBy(r => r.Granted).ToArray();
        var releases = runs.Select(r => r.Released).Order().ToArray();
        var free = byGrant.Take(slots).Select(r => r.Wait.TotalSeconds);
        var handovers = byGrant.Skip(slots).Select((r, k) => (r.Granted - releases[k]).TotalSeconds);

        clock.Restart();
        var turns = await Task.WhenAll(Enumerable.Range(0, jobs).Select(async _ =>
        {
            var start = clock.Elapsed;
            await Retried(async () =>
            {
                await admission.WaitForSubmitTurnAsync(CancellationToken.None);
                return true;
            });
            return (clock.Elapsed - start).TotalSeconds;
        }));
        var turnsTotal = clock.Elapsed;
        var turnRequests = requests.Take();
        var ideal = AdmissionSlots.RateWindow * ((jobs - 1) / slots);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"admission on Azurite, {jobs} jobs, {slots} slots, each held {hold.TotalSeconds:F1} s, a refused job asks again after {retry.TotalSeconds:F1} s: "
            + $"all granted in {total.TotalSeconds:F1} s; wait of the {slots} that found a free slot: {Percentiles.Describe(free)}; "
            + $"freed slot to next grant: {Percentiles.Describe(handovers)}; storage requests {slotRequests}; refusals {runs.Sum(r => r.Refusals)}, calls that gave up {failures}; most held at once {maxHeld} (limit {slots})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"submission turns, {jobs} at {slots} per {AdmissionSlots.RateWindow.TotalSeconds:F1} s: all in {turnsTotal.TotalSeconds:F2} s (ideal {ideal.TotalSeconds:F2} s), storage requests {turnRequests}; "
            + $"the first {slots}: {Percentiles.Describe(turns.Order().Take(slots))}"));
        return maxHeld <= slots ? 0 : 1;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var before && before != seen)
        {
            seen = before;
        }
    }

    /// <summary>Counts the storage requests the admission code sends.</summary>
    private sealed class RequestCounter : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Take() => Interlocked.Exchange(ref _count, 0);

        public override void OnSendingRequest(Azure.Core.HttpMessage message) => Interlocked.Increment(ref _count);
    }
}
