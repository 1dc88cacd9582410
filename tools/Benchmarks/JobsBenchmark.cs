using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// VACE jobs through the whole embedded host (intake, engine, activities, simulator with zero model time, copy into
/// Azurite): first one job alone (its end-to-end latency), then N jobs at once (jobs/s). Account limits are lifted in
/// the simulator and the workflow so the host, not the service, is measured.
/// </summary>
internal static class JobsBenchmark
{
    public static async Task<int> RunAsync(string storage, int jobs)
    {
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.Zero;
            o.RunningDuration = TimeSpan.Zero;
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });
        await using var host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage,
            ["DashScope:BaseUrl"] = simulator.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = simulator.Options.ApiKey,
            ["Vace:AllowLoopbackUrls"] = "true",
            ["Vace:MaxConcurrentTasks"] = "100",
            ["Vace:SubmissionsPerSecond"] = "100",
            ["Durable:TaskHub"] = "bench" + Guid.NewGuid().ToString("N")[..8],
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await host.StartAsync();
        var intake = host.Services.GetRequiredService<JobIntake>();
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        var single = await RunBatchAsync(intake, client, simulator, "single", 1);
        var batch = await RunBatchAsync(intake, client, simulator, "batch", jobs);
        await host.StopAsync();
        if (single is null || batch is null)
        {
            return 1;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"VACE jobs on the embedded host (Azurite, simulator, zero model time, first poll after 5 s): one job end to end {single.Value.TotalSeconds:F2} s; "
            + $"{jobs} jobs in {batch.Value.TotalSeconds:F1} s: {jobs / batch.Value.TotalSeconds:F1} jobs/s"));
        return 0;
    }

    private static async Task<TimeSpan?> RunBatchAsync(JobIntake intake, DurableTaskClient client, RunningSimulator simulator, string prefix, int count)
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
        foreach (var id in ids)
        {
            var status = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
            if (status.ReadOutputAs<VaceJobResult>() is not { Succeeded: true })
            {
                await Console.Error.WriteLineAsync($"{id} ended {status.RuntimeStatus}: {status.SerializedOutput}");
                return null;
            }
        }

        return watch.Elapsed;
    }
}
