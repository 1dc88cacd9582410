using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// How busy a backlog keeps the account: N jobs put on the intake queue at once, the simulator with the service's
/// limits (2 tasks at once, 2 submissions a second) and the given model time, the host with its default settings.
/// Prints the makespan (first enqueue → last job completed) against the ideal (ceil(N / 2) rounds of the model time),
/// and, in the same run on the same simulator, a bare pool of 2 workers that wait as the SDK's
/// <c>VideoSynthesis.wait</c> does (1 s, doubling every 3 polls up to 5 s); then DashScope calls and storage
/// transactions (from Azurite's request log, less the idle host's rate) per job.
/// </summary>
/// <remarks>
/// A warm-up job of the same model time runs first: it pays for JIT compilation and container creation, and leaves
/// the model time a host that has run such jobs before knows.
/// </remarks>
internal static class BacklogBenchmark
{
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(string storage, int jobs, double modelSeconds)
    {
        var log = Environment.GetEnvironmentVariable("BENCH_AZURITE_LOG");
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            // A fifth of it waiting, the rest running, as a real task reports; the service's limits stay on.
            o.PendingDuration = TimeSpan.FromSeconds(modelSeconds / 5);
            o.RunningDuration = TimeSpan.FromSeconds(modelSeconds) - o.PendingDuration;
        });
        await using var host = await BenchHost.StartAsync(storage, simulator, new Dictionary<string, string?>());
        var client = host.Services.GetRequiredService<DurableTaskClient>();
        var queue = new QueueClient(storage, host.Services.GetRequiredService<IOptions<QueueIntakeOptions>>().Value.Name,
            new QueueClientOptions { Diagnostics = { ApplicationId = AzuriteRequestLog.OwnApplicationId } });
        await queue.CreateIfNotExistsAsync();
        var capacity = simulator.Options.MaxConcurrentTasks;
        var ideal = Math.Ceiling(jobs / (double)capacity) * modelSeconds;

        await RunWorkflowAsync(queue, client, simulator, ["warmup"]);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var idleFrom = DateTime.UtcNow;
        await Task.Delay(IdleWindow);
        var idleTo = DateTime.UtcNow;

        var before = simulator.State.Counters();
        var from = DateTime.UtcNow;
        var workflow = await RunWorkflowAsync(queue, client, simulator, [.. Enumerable.Range(0, jobs).Select(i => $"backlog-{i}")]);
        var to = DateTime.UtcNow;
        var after = simulator.State.Counters();
        var waits = await WaitsAsync(client, jobs);

        var container = new BlobServiceClient(storage, new BlobClientOptions { Diagnostics = { ApplicationId = AzuriteRequestLog.OwnApplicationId } })
            .GetBlobContainerClient("bench-pool");
        await container.CreateIfNotExistsAsync();
        var pool = await RunPoolAsync(simulator, container, jobs, capacity);
        var afterPool = simulator.State.Counters();
        await host.StopAsync();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"backlog: {jobs} jobs enqueued at once, model time {modelSeconds:0.#} s, simulator limits {capacity} tasks / {simulator.Options.SubmissionsPerSecond} submissions a second, host defaults; ideal {ideal:0.#} s ({Math.Ceiling(jobs / (double)capacity):0} rounds)"));
        Console.WriteLine("| | makespan | / ideal | DashScope calls per job (polls) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| workflow (vace serve) | {workflow:F1} s | {workflow / ideal:F3}x | {(after.ApiRequests - before.ApiRequests) / (double)jobs:F1} ({(after.Polls - before.Polls) / (double)jobs:F1}) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| bare {capacity}-worker pool, SDK waits | {pool:F1} s | {pool / ideal:F3}x | {(afterPool.ApiRequests - after.ApiRequests) / (double)jobs:F1} ({(afterPool.Polls - after.Polls) / (double)jobs:F1}) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"workflow: slot free → next job's slot granted, median {waits.Handoff:F2} s; task ended → seen, median {waits.Seen:F2} s (max {waits.SeenMax:F2} s); throttled submissions {after.Throttled - before.Throttled}, peak tasks {after.ConcurrentPeak}"));

        if (log is { Length: > 0 })
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            var requests = AzuriteRequestLog.Read(log);
            var idlePerSecond = requests.Count(r => r.At >= idleFrom && r.At < idleTo) / (idleTo - idleFrom).TotalSeconds;
            var during = requests.Count(r => r.At >= from && r.At < to);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"storage transactions per job: {during / (double)jobs:F1} while the backlog ran, {(during - (idlePerSecond * (to - from).TotalSeconds)) / jobs:F1} beyond the idle host's {idlePerSecond:F2} a second"));
        }

        return 0;
    }

    /// <summary>Enqueues the jobs at once and waits for all; the seconds from the first enqueue to the last completion.</summary>
    private static async Task<double> RunWorkflowAsync(QueueClient queue, DurableTaskClient client, RunningSimulator simulator, string[] ids)
    {
        var start = DateTime.UtcNow;
        await Task.WhenAll(ids.Select(id =>
        {
            var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_edit"), simulator.BaseUrl);
            document["id"] = id;
            return queue.SendMessageAsync(document.ToJsonString());
        }));

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(60));
        var last = start;
        foreach (var id in ids)
        {
            OrchestrationMetadata? instance;
            while ((instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, timeout.Token)) is not { IsCompleted: true })
            {
                await Task.Delay(200, timeout.Token);
            }

            if (instance.ReadOutputAs<VaceJobResult>() is not { Succeeded: true })
            {
                throw new InvalidOperationException($"{id} ended {instance.RuntimeStatus}: {instance.SerializedOutput}");
            }

            last = instance.LastUpdatedAt.UtcDateTime > last ? instance.LastUpdatedAt.UtcDateTime : last;
        }

        return (last - start).TotalSeconds;
    }

    /// <summary>
    /// From the jobs' statuses: how long after a task ended (the service's end time) its job saw it (the last poll), and
    /// how long after a slot was given back (a job left Generating) the next job in line was granted one.
    /// </summary>
    private static async Task<(double Handoff, double Seen, double SeenMax)> WaitsAsync(DurableTaskClient client, int jobs)
    {
        var statuses = new List<(VaceJobStatus Status, VaceJobResult Result)>();
        for (var i = 0; i < jobs; i++)
        {
            var instance = await client.GetInstanceAsync($"backlog-{i}", getInputsAndOutputs: true);
            statuses.Add((instance!.ReadCustomStatusAs<VaceJobStatus>()!, instance.ReadOutputAs<VaceJobResult>()!));
        }

        // The simulator writes the service's times in UTC, on this machine's clock.
        var seen = statuses.Where(s => s.Result.EndTime is not null && s.Status.LastPolledAt is not null)
            .Select(s => (s.Status.LastPolledAt!.Value - Orchestrations.DashScope.DashScopeTaskOutput.ParseTime(s.Result.EndTime)!.Value).TotalSeconds)
            .ToArray();
        var freed = statuses.Select(s => s.Status.Phases[nameof(VaceJobPhase.Generating)].Ended).Order().ToArray();
        var granted = statuses.Select(s => s.Status.Phases[nameof(VaceJobPhase.WaitingForSlot)].Ended).Order().Skip(2).ToArray();
        var handoffs = granted.Zip(freed, (g, f) => (g - f).TotalSeconds).ToArray();
        return (Median(handoffs), Median(seen), seen.Length == 0 ? double.NaN : seen.Max());
    }

    /// <summary>The bare pool: <paramref name="workers"/> loops taking the next job until none is left; the seconds until all are done.</summary>
    private static async Task<double> RunPoolAsync(RunningSimulator simulator, BlobContainerClient container, int jobs, int workers)
    {
        var next = -1;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            using var bare = new BareClient(simulator, container, TimeSpan.Zero, poll => JobSchedule.SdkWait(TimeSpan.FromSeconds(1), poll));
            while (Interlocked.Increment(ref next) < jobs)
            {
                await bare.RunAsync($"pool-{next}.mp4", CancellationToken.None);
            }
        }));
        return watch.Elapsed.TotalSeconds;
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
