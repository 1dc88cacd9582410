using System.Diagnostics;
using System.Globalization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaceFunctions.Local;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// The engine's own figure: N instances of an empty orchestration shaped like a VACE job with zero model time —
/// S no-op activities in sequence and T zero-length durable timers — started at once on the embedded engine (one
/// host, Azurite); prints orchestrations/s and steps/s. <see cref="MeasureAsync"/> runs a shape with timers that wait.
/// </summary>
internal static class DurableBenchmark
{
    public static async Task<int> RunAsync(string storage, int instances, int steps, int timers)
    {
        var (total, started) = await MeasureAsync(storage, instances, new Shape(steps, timers, TimeSpan.Zero), TimeSpan.FromSeconds(1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"engine on Azurite, empty orchestration of {steps} activities and {timers} timers: {instances} in {total:F1} s "
            + $"(started in {started:F1} s): {instances / total:F1} orchestrations/s, {instances * steps / total:F1} activities/s"));
        return 0;
    }

    /// <summary>
    /// Seconds to run N instances of the shape, all started at once, to the last one's completion, and seconds to
    /// start them; a warm-up instance runs first. Throws if one does not complete.
    /// </summary>
    public static async Task<(double Total, double Started)> MeasureAsync(string storage, int instances, Shape shape, TimeSpan maxQueuePollingInterval)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["AzureWebJobsStorage"] = storage;
        builder.Configuration["Durable:TaskHub"] = "bench" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Durable:MaxQueuePollingInterval"] = BenchHost.Span(maxQueuePollingInterval.TotalSeconds);
        builder.Services.AddEmbeddedEngine(registry => registry
            .AddOrchestratorFunc<Shape, int>(nameof(Shape), async (context, shape) =>
            {
                var sum = 0;
                for (var i = 0; i < shape.Steps; i++)
                {
                    if (i < shape.Timers)
                    {
                        await context.CreateTimer(context.CurrentUtcDateTime + shape.TimerDelay, CancellationToken.None);
                    }

                    sum += await context.CallActivityAsync<int>(Noop, i);
                }

                return sum;
            })
            .AddActivityFunc<int, int>(Noop, (_, input) => input));
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        await RunInstancesAsync(client, "warmup", 1, shape);
        var watch = Stopwatch.StartNew();
        var started = await RunInstancesAsync(client, "bench", instances, shape);
        var total = watch.Elapsed.TotalSeconds;
        await host.StopAsync();
        return (total, started.TotalSeconds);
    }

    /// <summary>Starts the instances at once and waits for each; the time it took to start them.</summary>
    private static async Task<TimeSpan> RunInstancesAsync(DurableTaskClient client, string prefix, int instances, Shape shape)
    {
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, instances).Select(i =>
            client.ScheduleNewOrchestrationInstanceAsync(nameof(Shape), shape, new StartOrchestrationOptions($"{prefix}-{i}"))));
        var started = watch.Elapsed;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        foreach (var i in Enumerable.Range(0, instances))
        {
            var status = await client.WaitForInstanceCompletionAsync($"{prefix}-{i}", getInputsAndOutputs: false, timeout.Token);
            if (status.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                throw new InvalidOperationException($"{prefix}-{i} ended {status.RuntimeStatus}: {status.FailureDetails?.ErrorMessage}");
            }
        }

        return started;
    }

    /// <summary>Steps no-op activities in sequence, the first Timers of them each after a durable timer of TimerDelay.</summary>
    public sealed record Shape(int Steps, int Timers, TimeSpan TimerDelay);

    private const string Noop = "Noop";
}
