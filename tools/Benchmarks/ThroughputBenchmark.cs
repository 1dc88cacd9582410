using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// Jobs per second with zero model time and the service's limits lifted (the simulator's off, the host's at their
/// highest): N jobs at once through the whole embedded host, against (a) N <see cref="BareClient"/> jobs at once and
/// (b) the same engine running N empty orchestrations of a job's shape — its 7 activities (probe, slot, submit, poll,
/// copy, release, manifest) and its timer (the first poll's wait). Each is run after a warm-up, one after the other,
/// on the same Azurite.
/// </summary>
internal static class ThroughputBenchmark
{
    /// <summary>A job with zero model time: probe, acquire slot, submit, poll, copy, release slot, write manifest.</summary>
    public const int JobActivities = 7;

    public static async Task<int> RunAsync(string storage, int jobs, int queuePollMilliseconds)
    {
        var queuePoll = TimeSpan.FromMilliseconds(queuePollMilliseconds);
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.Zero;
            o.RunningDuration = TimeSpan.Zero;
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });

        TimeSpan firstPoll;
        double workflow;
        await using (var host = await BenchHost.StartAsync(storage, simulator, new Dictionary<string, string?>
        {
            ["Vace:MaxConcurrentTasks"] = "100",
            ["Vace:SubmissionsPerSecond"] = "100",
            ["Durable:MaxQueuePollingInterval"] = BenchHost.Span(queuePoll.TotalSeconds),
        }))
        {
            firstPoll = host.Services.GetRequiredService<IOptions<WorkflowOptions>>().Value.InitialPollInterval;
            var intake = host.Services.GetRequiredService<JobIntake>();
            var client = host.Services.GetRequiredService<DurableTaskClient>();
            var blobs = new BlobServiceClient(storage);
            var warmup = await JobsBenchmark.RunBatchAsync(intake, client, blobs, simulator, "warmup", 1);
            var batch = await JobsBenchmark.RunBatchAsync(intake, client, blobs, simulator, "batch", jobs);
            await host.StopAsync();
            if (warmup is null || batch is null)
            {
                return 1;
            }

            workflow = batch.Value.Elapsed.TotalSeconds;
        }

        var container = new BlobServiceClient(storage).GetBlobContainerClient("bench-bare");
        await container.CreateIfNotExistsAsync();
        using var bare = new BareClient(simulator, container, firstPoll);
        await bare.RunAsync("warmup.mp4", CancellationToken.None);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, jobs).Select(i => bare.RunAsync($"bare-{i}.mp4", CancellationToken.None)));
        var direct = watch.Elapsed.TotalSeconds;

        var (engine, _) = await DurableBenchmark.MeasureAsync(storage, jobs, new DurableBenchmark.Shape(JobActivities, 1, firstPoll), queuePoll);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput, {jobs} jobs at once, zero model time, first poll after {firstPoll.TotalSeconds:0.#} s, limits lifted (100 slots, 100 submissions/s), engine queue polling at most {queuePollMilliseconds} ms"));
        Console.WriteLine("| run | seconds | jobs/s | workflow / this |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| workflow, whole embedded host | {workflow:F1} | {jobs / workflow:F2} | 1.00x |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| (a) bare concurrent client | {direct:F1} | {jobs / direct:F2} | {direct / workflow:F2}x |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| (b) engine, empty orchestration of {JobActivities} activities and 1 timer of {firstPoll.TotalSeconds:0.#} s | {engine:F1} | {jobs / engine:F2} | {engine / workflow:F2}x |"));
        return 0;
    }
}
