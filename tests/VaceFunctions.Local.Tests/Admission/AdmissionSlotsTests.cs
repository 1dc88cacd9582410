using System.Diagnostics;
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
        Assert.False((await slots.AcquireAsync("d", Lease, default)).Granted);
        Assert.True((await slots.AcquireAsync("c", Lease, default)).Granted);
        Assert.Equal(["b", "c"], (await slots.HoldersAsync(default)).Order());
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
    public async Task Slot_NeverReleased_ExpiresAfterItsLease()
    {
        var (slots, clock) = await SlotsAsync();
        await slots.AcquireAsync("crashed-1", TimeSpan.FromMinutes(1), default);
        await slots.AcquireAsync("crashed-2", TimeSpan.FromMinutes(1), default);
        Assert.False((await slots.AcquireAsync("waiting", Lease, default)).Granted);

        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        Assert.True((await slots.AcquireAsync("waiting", Lease, default)).Granted);
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

    private static async Task<(AdmissionSlots Slots, ManualClock Clock)> SlotsAsync(TimeProvider? time = null)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var options = Options.Create(new WorkflowOptions { StateContainer = Azurite.UniqueName("state") });
        var blobs = new BlobServiceClient((await Azurite.GetAsync()).ConnectionString);
        return (new AdmissionSlots(blobs, options, time ?? clock), clock);
    }
}
