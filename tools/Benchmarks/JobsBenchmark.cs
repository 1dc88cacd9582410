using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// VACE jobs through the whole embedded host (intake, engine, activities, simulator with zero model time, copy into
/// Azurite): first one job alone (its end-to-end latency), then N jobs at once (jobs/s) with M task slots, and how long
/// they waited for a slot (the WaitingForSlot phase of their manifests). Account limits are lifted in the simulator
/// so the host, not the service, is measured.
/// </summary>
internal static class JobsBenchmark
{
    public static async Task<int> RunAsync(string storage, int jobs, int slots)
    {
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.Zero;
            o.RunningDuration = TimeSpan.Zero;
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });
        await using var host = await BenchHost.StartAsync(storage, simulator, new Dictionary<string, string?>
        {
            ["Vace:MaxConcurrentTasks"] = slots.ToString(CultureInfo.InvariantCulture),
            ["Vace:SubmissionsPerSecond"] = "100",
        });
        var intake = host.Services.GetRequiredService<JobIntake>();
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        var blobs = new BlobServiceClient(storage);
        var single = await RunBatchAsync(intake, client, blobs, simulator, "single", 1);
        var batch = await RunBatchAsync(intake, client, blobs, simulator, "batch", jobs);
        await host.StopAsync();
        if (single is null || batch is null)
        {
            return 1;
        }

        // The first M jobs to get a slot found one free when they asked (all N asked at once); the rest waited for a
        // holder to finish (at least its first poll, 5 s) and then for their next ask.
        var waits = batch.Value.SlotWaits;
        var free = waits.OrderBy(w => w.Ended).Take(slots).Select(w => w.Seconds).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"VACE jobs on the embedded host (Azurite, simulator, zero model time, first poll after 5 s): one job end to end {single.Value.Elapsed.TotalSeconds:F2} s; "
            + $"{jobs} jobs with {slots} slots in {batch.Value.Elapsed.TotalSeconds:F1} s: {jobs / batch.Value.Elapsed.TotalSeconds:F1} jobs/s; "
            + $"slot wait, the {free.Length} that found a free slot: {Percentiles.Describe(free)}; all {waits.Count}: {Percentiles.Describe(waits.Select(w => w.Seconds))}"));
        return 0;
    }

    /// <summary>N jobs submitted at once through intake, waited for to the last; null if one did not succeed.</summary>
    public static async Task<(TimeSpan Elapsed, IReadOnlyList<PhaseTiming> SlotWaits)?> RunBatchAsync(
        JobIntake intake, DurableTaskClient client, BlobServiceClient blobs, RunningSimulator simulator, string prefix, int count)
    {
        var watch = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_edit"), simulator.BaseUrl);
            document["id"] = $"{prefix}-{i}";
            var outcome = await intake.SubmitAsync(Encoding.UTF8.GetBytes(document.ToJsonString()), IntakeSource.Http, CancellationToken.None);
            return outcome.JobId;
        }));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        var results = new List<VaceJobResult>();
        foreach (var id in ids)
        {
            var status = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
            if (status.ReadOutputAs<VaceJobResult>() is not { Succeeded: true } result)
            {
                await Console.Error.WriteLineAsync($"{id} ended {status.RuntimeStatus}: {status.SerializedOutput}");
                return null;
            }

            results.Add(result);
        }

        var elapsed = watch.Elapsed;
        var waits = new List<PhaseTiming>();
        foreach (var result in results)
        {
            var manifest = await blobs.GetBlobContainerClient(result.Container).GetBlobClient(result.ManifestBlob).DownloadContentAsync(timeout.Token);
            waits.Add(manifest.Value.Content.ToObjectFromJson<VaceJobManifest>(JsonOptions)!.Phases[nameof(VaceJobPhase.WaitingForSlot)]);
        }

        return (elapsed, waits);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
