using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// One job at a time, enqueue → verified blob, through the whole embedded host (queue intake, engine, simulator with
/// the given model time, copy into Azurite), polling every <c>poll</c> seconds (first poll too), against the
/// <see cref="BareClient"/> doing the same calls at the same interval; alternately, in the same run, with the model
/// time asked for and with none. Prints the medians, their ratio, and where the workflow's time went (from the
/// instance's times and the job's manifest).
/// </summary>
internal static class LatencyBenchmark
{
    public static async Task<int> RunAsync(string storage, double modelSeconds, double pollSeconds, int runs, int queuePollMilliseconds)
    {
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });
        var poll = TimeSpan.FromSeconds(pollSeconds);
        await using var host = await BenchHost.StartAsync(storage, simulator, new Dictionary<string, string?>
        {
            ["Vace:InitialPollInterval"] = BenchHost.Span(pollSeconds),
            ["Vace:PollInterval"] = BenchHost.Span(pollSeconds),
            ["Vace:MaxConcurrentTasks"] = "100",
            ["Vace:SubmissionsPerSecond"] = "100",
            ["Durable:MaxQueuePollingInterval"] = BenchHost.Span(queuePollMilliseconds / 1000.0),
        });
        var client = host.Services.GetRequiredService<DurableTaskClient>();
        var queue = new QueueClient(storage, host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Orchestrations.Intake.QueueIntakeOptions>>().Value.Name);
        await queue.CreateIfNotExistsAsync();
        var blobs = new BlobServiceClient(storage);
        var container = blobs.GetBlobContainerClient("bench-bare");
        await container.CreateIfNotExistsAsync();
        using var bare = new BareClient(simulator, container, poll);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency, enqueue → verified blob, poll every {pollSeconds:0.#} s (first poll too), engine queue polling at most {queuePollMilliseconds} ms; {runs} runs each, alternating workflow and bare client"));
        Console.WriteLine("| model time | workflow (median, min–max) | bare client (median, min–max) | workflow / bare | workflow's time, medians: queue pickup · to first step · probe · slot · submit · generating (timers, polls) · copy and slot release · manifest to completion |");
        Console.WriteLine("|---|---|---|---|---|");

        // Warm-up: the first job pays for JIT compilation and for creating the containers and tables.
        SetModelTime(simulator, 0);
        await WorkflowJobAsync(queue, client, blobs, simulator, "warmup");
        await bare.RunAsync("warmup.mp4", CancellationToken.None);

        foreach (var model in new[] { modelSeconds, 0 }.Distinct())
        {
            SetModelTime(simulator, model);
            var workflow = new List<WorkflowRun>();
            var direct = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                workflow.Add(await WorkflowJobAsync(queue, client, blobs, simulator, string.Create(CultureInfo.InvariantCulture, $"m{model:0}-{i}")));
                direct.Add((await bare.RunAsync($"m{model:0}-{i}.mp4", CancellationToken.None)).TotalSeconds);
            }

            var w = Median(workflow.Select(r => r.Total));
            var b = Median(direct);
            var parts = string.Join(" · ", Enumerable.Range(0, WorkflowRun.PartCount).Select(p => Median(workflow.Select(r => r.Parts[p])).ToString("F2", CultureInfo.InvariantCulture)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {model:0.#} s | {w:F2} s ({workflow.Min(r => r.Total):F2}–{workflow.Max(r => r.Total):F2}) | {b:F2} s ({direct.Min():F2}–{direct.Max():F2}) | {w / b:F3}x | {parts} |"));
        }

        await host.StopAsync();
        return 0;
    }

    private static void SetModelTime(RunningSimulator simulator, double seconds)
    {
        // A fifth of it waiting, the rest running, as a real task reports.
        simulator.Options.PendingDuration = TimeSpan.FromSeconds(seconds / 5);
        simulator.Options.RunningDuration = TimeSpan.FromSeconds(seconds) - simulator.Options.PendingDuration;
    }

    /// <summary>One job put on the intake queue; its time to completion, and the parts of it.</summary>
    private static async Task<WorkflowRun> WorkflowJobAsync(QueueClient queue, DurableTaskClient client, BlobServiceClient blobs, RunningSimulator simulator, string id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_edit"), simulator.BaseUrl);
        document["id"] = id;
        var enqueued = DateTime.UtcNow;
        await queue.SendMessageAsync(document.ToJsonString());

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        OrchestrationMetadata? instance;
        while ((instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, timeout.Token)) is not { IsCompleted: true })
        {
            await Task.Delay(200, timeout.Token);
        }

        if (instance.ReadOutputAs<VaceJobResult>() is not { Succeeded: true } result)
        {
            throw new InvalidOperationException($"{id} ended {instance.RuntimeStatus}: {instance.SerializedOutput}");
        }

        var manifest = (await blobs.GetBlobContainerClient(result.Container).GetBlobClient(result.ManifestBlob).DownloadContentAsync()).Value.Content
            .ToObjectFromJson<VaceJobManifest>(JsonOptions)!;
        var phases = manifest.Phases;
        PhaseTiming Phase(VaceJobPhase phase) => phases[phase.ToString()];
        var created = instance.CreatedAt.UtcDateTime;
        var completed = instance.LastUpdatedAt.UtcDateTime;
        return new WorkflowRun((completed - enqueued).TotalSeconds,
        [
            (created - enqueued).TotalSeconds,
            (Phase(VaceJobPhase.Probing).Started - created).TotalSeconds,
            Phase(VaceJobPhase.Probing).Seconds,
            Phase(VaceJobPhase.WaitingForSlot).Seconds,
            Phase(VaceJobPhase.Submitting).Seconds,
            Phase(VaceJobPhase.Generating).Seconds,
            Phase(VaceJobPhase.Copying).Seconds,
            (completed - Phase(VaceJobPhase.Copying).Ended).TotalSeconds,
        ]);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record WorkflowRun(double Total, double[] Parts)
    {
        public const int PartCount = 8;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
