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
/// host, Azurite); prints orchestrations/s and steps/s.
/// </summary>
internal static class DurableBenchmark
{
    public static async Task<int> RunAsync(string storage, int instances, int steps, int timers)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["AzureWebJobsStorage"] = storage;
        builder.Configuration["Durable:TaskHub"] = "bench" + Guid.NewGuid().ToString("N")[..8];
        builder.Services.AddEmbeddedEngine(registry => registry
            .AddOrchestratorFunc<Shape, int>(nameof(Shape), async (context, shape) =>
            {
                var sum = 0;
                for (var i = 0; i < shape.Steps; i++)
                {
                    if (i < shape.Timers)
                    {
                        await context.CreateTimer(context.CurrentUtcDateTime, CancellationToken.None);
                    }

                    sum += await context.CallActivityAsync<int>(Noop, i);
                }

                return sum;
            })
            .AddActivityFunc<int, int>(Noop, (_, input) => input));
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        var watch = Stopwatch.StartNew();
        var shape = new Shape(steps, timers);
        await Task.WhenAll(Enumerable.Range(0, instances).Select(i =>
            client.ScheduleNewOrchestrationInstanceAsync(nameof(Shape), shape, new StartOrchestrationOptions($"bench-{i}"))));
        var started = watch.Elapsed;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        foreach (var i in Enumerable.Range(0, instances))
        {
            var status = await client.WaitForInstanceCompletionAsync($"bench-{i}", getInputsAndOutputs: false, timeout.Token);
            if (status.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                await Console.Error.WriteLineAsync($"bench-{i} ended {status.RuntimeStatus}: {status.FailureDetails?.ErrorMessage}");
                return 1;
            }
        }

        var total = watch.Elapsed.TotalSeconds;
        await host.StopAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"engine on Azurite, empty orchestration of {steps} activities and {timers} timers: {instances} in {total:F1} s "
            + $"(started in {started.TotalSeconds:F1} s): {instances / total:F1} orchestrations/s, {instances * steps / total:F1} activities/s"));
        return 0;
    }

    private sealed record Shape(int Steps, int Timers);

    private const string Noop = "Noop";
}
