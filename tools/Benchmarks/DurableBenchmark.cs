using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaceFunctions.Local;
using VaceFunctions.Local.Durable;
using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// Throughput of the embedded durable runtime: N instances of an S-step sequence of no-op activities, started
/// at once and run by one in-process worker; prints instances/s and steps/s.
/// </summary>
internal static class DurableBenchmark
{
    public static async Task<int> RunAsync(string storage, int instances, int steps)
    {
        var hub = "bench" + Guid.NewGuid().ToString("N")[..8];
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(new BlobServiceClient(storage));
        builder.Services.AddSingleton(new QueueServiceClient(storage));
        builder.Services.AddEmbeddedDurableRuntime(registry => registry
            .AddOrchestrator<Chain, int, int>(nameof(Chain))
            .AddActivity<Noop, int, int>(nameof(Noop)));
        builder.Services.Configure<DurableOptions>(o =>
        {
            o.HubName = hub;
            o.MaxPollInterval = TimeSpan.FromMilliseconds(50);
        });
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<DurableClient>();

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, instances).Select(i => client.StartAsync(nameof(Chain), $"bench-{i}", steps)));
        var started = watch.Elapsed;
        foreach (var i in Enumerable.Range(0, instances))
        {
            var status = await client.WaitForCompletionAsync($"bench-{i}", TimeSpan.FromMinutes(30));
            if (status.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                Console.Error.WriteLine($"bench-{i} ended {status.RuntimeStatus}: {status.Failure?.ErrorMessage}");
                return 1;
            }
        }

        var total = watch.Elapsed.TotalSeconds;
        await host.StopAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"durable runtime on Azurite: {instances} instances x {steps} steps in {total:F1} s (started in {started.TotalSeconds:F1} s): "
            + $"{instances / total:F1} instances/s, {instances * steps / total:F1} steps/s"));
        return 0;
    }

    private sealed class Chain : IOrchestrator<int, int>
    {
        public async Task<int> RunAsync(IOrchestrationContext context, int input)
        {
            var sum = 0;
            for (var i = 0; i < input; i++)
            {
                sum += await context.CallActivityAsync<int>(nameof(Noop), i);
            }

            return sum;
        }
    }

    private sealed class Noop : IActivity<int, int>
    {
        public Task<int> RunAsync(int input, CancellationToken cancellationToken) => Task.FromResult(input);
    }
}
