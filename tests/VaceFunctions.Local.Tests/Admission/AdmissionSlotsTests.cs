using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Admission;

/// <summary>Admission slots on Azurite: capacity, first come first served, release, expiry, and the submission rate.</summary>
public sealed class AdmissionSlotsTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Acquire_ServesTwoAtOnce_InArrivalOrder_AndReleaseLetsTheNextIn()
    {
        var (slots, _) = await SlotsAsync();

        Assert.True((await slots.AcquireAsync("a", Lease, default)).Granted);
        Assert.True((await slots.AcquireAsync("b", Lease, default)).Granted);
        var c = await slots.AcquireAsync("c", Lease, default);
        var d = await slots.AcquireAsync("d", Lease, default);
        Assert.Equal((false, 0), (c.Granted, c.Position));
        Assert.Equal((false, 1), (d.Granted, d.Position));
        Assert.True((await slots.AcquireAsync("a", Lease, default)).Granted);

        Assert.True(await slots.ReleaseAsync("a", default));
        Assert.False((await slots.AcquireAsync("d", Lease, default, inLine: true)).Granted);
        Assert.True((await slots.AcquireAsync("c", Lease, default, inLine: true)).Granted);
        Assert.Equal(["b", "c"], (await slots.HoldersAsync(default)).Order());
    }

    [Fact]
    public async Task Acquire_FirstAskOfANewcomer_NeverTakesASlotGivenBackWhileOthersWait()
    {
        // A newcomer's first ask writes the slot its id hashes to without reading the line: a slot given back while
        // jobs wait must stay (its lease ended) rather than be deleted, or the newcomer would take it ahead of them.
        var (slots, clock) = await SlotsAsync(capacity: 1);
        Assert.True((await slots.AcquireAsync("holder", Lease, default)).Granted);
        Assert.Equal(0, (await slots.AcquireAsync("waiter", Lease, default)).Position);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await slots.ReleaseAsync("holder", default));
        var newcomer = await slots.AcquireAsync("newcomer", Lease, default);

        Assert.Equal((false, 1), (newcomer.Granted, newcomer.Position));
        Assert.True((await slots.AcquireAsync("waiter", Lease, default, inLine: true)).Granted);
        Assert.Equal(["waiter"], await slots.HoldersAsync(default));
        Assert.False(await slots.ReleaseAsync("holder", default));
    }

    [Fact]
    public async Task Release_WithNobodyWaiting_DeletesTheSlot_SoTheNextFirstAskIsOneWrite()
    {
        var requests = new RequestCounter();
        var (slots, _) = await SlotsAsync(capacity: 1, requests: requests);
        Assert.True((await slots.AcquireAsync("first", Lease, default)).Granted);
        Assert.True(await slots.ReleaseAsync("first", default));
        requests.Reset();

        Assert.True((await slots.AcquireAsync("second", Lease, default)).Granted);

        Assert.Equal(1, requests.Count);
        Assert.Equal(["second"], await slots.HoldersAsync(default));
    }

    [Fact]
    public async Task Acquire_ManyAtOnce_NeverGrantsMoreThanTheCapacity()
    {
        var (slots, _) = await SlotsAsync();

        var grants = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => slots.AcquireAsync($"job-{i}", Lease, default)));

        Assert.Equal(2, grants.Count(g => g.Granted));
        Assert.Equal(2, (await slots.HoldersAsync(default)).Count);
    }

    [Fact]
    public async Task Acquire_AsManyJobsAsFreeSlots_AllGrantedAtTheirFirstAsk_WithOneWriteEach()
    {
        // With one record for all slots, 100 jobs asking at once rewrote it over and over (conflicting ETags). Here each
        // job's id hashes to a slot of its own, so the count is the free-slot path's alone: jobs whose ids collide look
        // further, and how often they meet again depends on timing (covered by the tests of jobs taking turns). A few
        // requests of slack for the storage client's own retries on a busy machine.
        var requests = new RequestCounter();
        var (slots, _) = await SlotsAsync(capacity: 100, requests: requests);
        var jobs = Enumerable.Range(0, 10_000).Select(i => $"job-{i}").DistinctBy(id => AdmissionSlots.ProbeOrder(id, 100).First()).Take(100).ToArray();
        Assert.Equal(100, jobs.Length);

        var grants = await Task.WhenAll(jobs.Select(id => slots.AcquireAsync(id, Lease, default)));

        Assert.All(grants, g => Assert.True(g.Granted));
        Assert.InRange(requests.Count, 100, 100 + 10);
        Assert.Equal(100, (await slots.HoldersAsync(default)).Distinct().Count());
    }

    [Fact]
    public async Task Acquire_ManyJobsTakingTurns_NeverHoldMoreThanTheLimitAtOnce()
    {
        var (slots, _) = await SlotsAsync(TimeProvider.System, capacity: 4);
        var held = 0;
        var mostHeld = 0;
        var mostListed = 0;

        await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
        {
            for (var inLine = false; !(await slots.AcquireAsync($"job-{i}", Lease, default, inLine)).Granted; inLine = true)
            {
                await Task.Delay(20);
            }

            var now = Interlocked.Increment(ref held);
            InterlockedMax(ref mostHeld, now);
            InterlockedMax(ref mostListed, (await slots.HoldersAsync(default)).Count);
            await Task.Delay(30);
            Interlocked.Decrement(ref held);
            Assert.True(await slots.ReleaseAsync($"job-{i}", default));
        }));

        Assert.InRange(mostHeld, 1, 4);
        Assert.InRange(mostListed, 1, 4);
        Assert.Empty(await slots.HoldersAsync(default));
    }

    [Fact]
    public async Task Acquire_AgainAfterTakingAFreedSlot_IsGrantedTheSameSlot()
    {
        var (slots, _) = await SlotsAsync();
        await slots.AcquireAsync("a", Lease, default);
        await slots.AcquireAsync("b", Lease, default);
        Assert.False((await slots.AcquireAsync("c", Lease, default)).Granted);
        await slots.ReleaseAsync("a", default);
        Assert.True((await slots.AcquireAsync("c", Lease, default, inLine: true)).Granted);
        await slots.ReleaseAsync("b", default);

        Assert.True((await slots.AcquireAsync("c", Lease, default, inLine: true)).Granted);

        Assert.Equal(["c"], await slots.HoldersAsync(default));
    }

    [Fact]
    public async Task Release_OfAWaiter_MovesTheLineOn()
    {
        var (slots, _) = await SlotsAsync();
        await slots.AcquireAsync("a", Lease, default);
        await slots.AcquireAsync("b", Lease, default);
        Assert.Equal(0, (await slots.AcquireAsync("c", Lease, default)).Position);
        Assert.Equal(1, (await slots.AcquireAsync("d", Lease, default)).Position);

        Assert.True(await slots.ReleaseAsync("c", default));
        Assert.False(await slots.ReleaseAsync("c", default));

        Assert.Equal(0, (await slots.AcquireAsync("d", Lease, default, inLine: true)).Position);
        await slots.ReleaseAsync("a", default);
        Assert.True((await slots.AcquireAsync("d", Lease, default, inLine: true)).Granted);
    }

    [Fact]
    public async Task Line_AWaiterThatStopsAsking_IsDropped()
    {
        var (slots, clock) = await SlotsAsync();
        await slots.AcquireAsync("a", Lease, default);
        await slots.AcquireAsync("b", Lease, default);
        Assert.Equal(0, (await slots.AcquireAsync("gone", Lease, default)).Position);
        Assert.Equal(1, (await slots.AcquireAsync("next", Lease, default)).Position);

        clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        await slots.ReleaseAsync("a", default);

        Assert.True((await slots.AcquireAsync("next", Lease, default, inLine: true)).Granted);
        Assert.Equal(0, (await slots.AcquireAsync("gone", Lease, default)).Position);
    }

    [Fact]
    public async Task Slot_NeverReleased_ExpiresAfterItsLease()
    {
        var (slots, clock) = await SlotsAsync();
        await slots.AcquireAsync("crashed-1", TimeSpan.FromMinutes(1), default);
        await slots.AcquireAsync("crashed-2", TimeSpan.FromMinutes(1), default);
        Assert.False((await slots.AcquireAsync("waiting", Lease, default)).Granted);

        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        Assert.True((await slots.AcquireAsync("waiting", Lease, default, inLine: true)).Granted);
    }

    [Fact]
    public async Task SubmitTurns_AreSpacedToTheRate()
    {
        var (slots, _) = await SlotsAsync(TimeProvider.System);
        var watch = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => slots.WaitForSubmitTurnAsync(default)));

        // 2 per window: turns 3–4 wait one window, turn 5 two.
        Assert.True(watch.Elapsed >= AdmissionSlots.RateWindow * 2 - TimeSpan.FromMilliseconds(50), $"5 turns in {watch.Elapsed}");
    }

    private static async Task<(AdmissionSlots Slots, ManualClock Clock)> SlotsAsync(TimeProvider? time = null, int capacity = 2, RequestCounter? requests = null)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var options = Options.Create(new WorkflowOptions { StateContainer = Azurite.UniqueName("state"), MaxConcurrentTasks = capacity });
        var clientOptions = new BlobClientOptions();
        if (requests is not null)
        {
            clientOptions.AddPolicy(requests, HttpPipelinePosition.PerCall);
        }

        var blobs = new BlobServiceClient((await Azurite.GetAsync()).ConnectionString, clientOptions);
        await blobs.GetBlobContainerClient(options.Value.StateContainer).CreateIfNotExistsAsync();
        requests?.Reset();
        return (new AdmissionSlots(blobs, options, time ?? clock), clock);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var before && before != seen)
        {
            seen = before;
        }
    }

    /// <summary>Counts the storage requests sent.</summary>
    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Reset() => Volatile.Write(ref _count, 0);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
    }
}
