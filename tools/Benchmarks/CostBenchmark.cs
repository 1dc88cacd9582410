using System.Globalization;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Engine;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// What a user pays per job: storage transactions (every request the host sends to blob, queue and table, from
/// Azurite's request log) and DashScope calls (the simulator's counters), for jobs put on the intake queue one at a
/// time with the given model time and poll interval; against the minimum a script needs. The host's idle background
/// (queue polling, partition leases) is measured first, with no job, and taken out of the job's own figure.
/// </summary>
internal static class CostBenchmark
{
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string storage, double modelSeconds, double pollSeconds, int jobs, int queuePollMilliseconds)
    {
        if (Environment.GetEnvironmentVariable("BENCH_AZURITE_LOG") is not { Length: > 0 } log)
        {
            await Console.Error.WriteLineAsync("cost needs Azurite's request log in BENCH_AZURITE_LOG (scripts/bench.sh cost sets it)");
            return 2;
        }

        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromSeconds(modelSeconds / 5);
            o.RunningDuration = TimeSpan.FromSeconds(modelSeconds) - o.PendingDuration;
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });
        await using var host = await BenchHost.StartAsync(storage, simulator, new Dictionary<string, string?>
        {
            ["Vace:InitialPollInterval"] = BenchHost.Span(pollSeconds),
            ["Vace:PollInterval"] = BenchHost.Span(pollSeconds),
            ["Durable:MaxQueuePollingInterval"] = BenchHost.Span(queuePollMilliseconds / 1000.0),
        });
        var queue = new QueueClient(storage, host.Services.GetRequiredService<IOptions<QueueIntakeOptions>>().Value.Name,
            new QueueClientOptions { Diagnostics = { ApplicationId = AzuriteRequestLog.OwnApplicationId } });
        var instances = new TableClient(storage, host.Services.GetRequiredService<IOptions<EngineOptions>>().Value.TaskHub + "Instances",
            new TableClientOptions { Diagnostics = { ApplicationId = AzuriteRequestLog.OwnApplicationId } });
        await queue.CreateIfNotExistsAsync();

        // The warm-up job creates what the first job of a host creates once (containers, the slot records).
        await RunJobAsync(queue, instances, simulator, "warmup");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var idleFrom = DateTime.UtcNow;
        await Task.Delay(IdleWindow);
        var idleTo = DateTime.UtcNow;

        var before = simulator.State.Counters();
        var windows = new List<(DateTime From, DateTime To)>();
        for (var i = 0; i < jobs; i++)
        {
            var from = DateTime.UtcNow;
            await RunJobAsync(queue, instances, simulator, $"cost-{i}");
            windows.Add((from, DateTime.UtcNow));
        }

        var after = simulator.State.Counters();
        await host.StopAsync();

        // Azurite writes its log as it goes; what it has not written yet is a moment away.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = AzuriteRequestLog.Read(log);
        var idle = requests.Where(r => r.At >= idleFrom && r.At < idleTo).ToArray();
        var idlePerSecond = idle.Length / (idleTo - idleFrom).TotalSeconds;
        var during = requests.Where(r => windows.Any(w => r.At >= w.From && r.At < w.To)).ToArray();
        var jobSeconds = windows.Sum(w => (w.To - w.From).TotalSeconds);
        var perJob = during.Length / (double)jobs;
        var ownPerJob = perJob - (idlePerSecond * jobSeconds / jobs);

        var minimumPolls = Math.Max(1, (int)Math.Ceiling(modelSeconds / pollSeconds));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cost per job, {jobs} jobs one at a time through the intake queue, model time {modelSeconds:0.#} s, poll every {pollSeconds:0.#} s, engine queue polling at most {queuePollMilliseconds} ms; each job took {jobSeconds / jobs:F1} s"));
        Console.WriteLine("| per job | workflow | minimum (a script) |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| DashScope calls | {(after.ApiRequests - before.ApiRequests) / (double)jobs:F1} ({(after.Submissions - before.Submissions) / (double)jobs:F1} submit, {(after.Polls - before.Polls) / (double)jobs:F1} polls) | {1 + minimumPolls} (1 submit, {minimumPolls} polls) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| video downloads | {(after.VideoRequests - before.VideoRequests) / (double)jobs:F1} | 1 |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| storage transactions, all while the job ran | {perJob:F1} | 1 (Put Blob of the video; 1 more to enqueue the job) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| storage transactions, the job's own (less the idle rate) | {ownPerJob:F1} | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| idle host, storage transactions per second (per day) | {idlePerSecond:F2} ({idlePerSecond * 86400:F0}) | 0 |"));
        Console.WriteLine();
        Console.WriteLine("| operation | per job, while it ran | idle, per second |");
        Console.WriteLine("|---|---|---|");
        foreach (var kind in during.Concat(idle).Select(r => r.Operation).Distinct()
            .OrderByDescending(k => during.Count(r => r.Operation == k)).ThenBy(k => k, StringComparer.Ordinal))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | {during.Count(r => r.Operation == kind) / (double)jobs:F1} | {idle.Count(r => r.Operation == kind) / (idleTo - idleFrom).TotalSeconds:F2} |"));
        }

        return 0;
    }

    /// <summary>Puts a job on the intake queue and waits for its instance to complete, reading the instances table with the benchmark's own client.</summary>
    private static async Task RunJobAsync(QueueClient queue, TableClient instances, RunningSimulator simulator, string id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_edit"), simulator.BaseUrl);
        document["id"] = id;
        await queue.SendMessageAsync(document.ToJsonString());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        while (true)
        {
            await Task.Delay(250, timeout.Token);
            var row = await instances.GetEntityIfExistsAsync<TableEntity>(id, "", ["RuntimeStatus"], timeout.Token);
            if (row.HasValue && row.Value!.GetString("RuntimeStatus") is { } status && status != "Running" && status != "Pending")
            {
                if (status != "Completed")
                {
                    throw new InvalidOperationException($"{id} ended {status}");
                }

                return;
            }
        }
    }
}
