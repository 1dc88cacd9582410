using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// The output copy: a result video of the given size served by the simulator, streamed into Azurite by
/// CopyOutputActivity; prints MB/s and the peak growth of managed memory and of the process's working set, then the
/// same URL piped by two curl processes into Azurite, and the ratio of the two.
/// </summary>
internal static class CopyBenchmark
{
    public static async Task<int> RunAsync(string storage, int megabytes)
    {
        var size = megabytes * 1024L * 1024;
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.Zero;
            o.RunningDuration = TimeSpan.Zero;
            o.OutputSizeBytes = size;
        });
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = simulator.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = simulator.Options.ApiKey,
            ["Vace:AllowLoopbackUrls"] = "true",
        }).Build();
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(new BlobServiceClient(storage))
            .AddVaceOrchestrations()
            .BuildServiceProvider();

        var client = services.GetRequiredService<DashScopeClient>();
        var request = JsonNode.Parse("""{"model":"wan2.1-vace-plus","input":{"function":"video_outpainting","prompt":"bench","video_url":"https://example.com/a.mp4"},"parameters":{"top_scale":1.5}}""")!.AsObject();
        var taskId = (await client.SubmitAsync(request)).Output!.TaskId!;
        var videoUrl = (await client.GetTaskAsync(taskId)).Output!.VideoUrl!;
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(services);

        var managedBaseline = GC.GetTotalMemory(forceFullCollection: true);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var workingSetBaseline = process.WorkingSet64;
        long managedPeak = managedBaseline, workingSetPeak = workingSetBaseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                managedPeak = Math.Max(managedPeak, GC.GetTotalMemory(false));
                process.Refresh();
                workingSetPeak = Math.Max(workingSetPeak, process.WorkingSet64);
                await Task.Delay(10);
            }
        });

        var watch = Stopwatch.StartNew();
        var result = await copy.RunAsync(new CopyOutputActivity.Request("bench", taskId, "bench-output", $"bench-{Guid.NewGuid():N}.mp4"), CancellationToken.None);
        var seconds = watch.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;

        var pipe = await RawPipeAsync(storage, videoUrl, result.Size);
        var copied = result.Size / 1048576.0 / seconds;
        var piped = result.Size / 1048576.0 / pipe.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"copy output into Azurite: {result.Size / 1048576.0:F0} MB in {seconds:F1} s = {copied:F1} MB/s; "
            + $"peak managed memory +{(managedPeak - managedBaseline) / 1048576.0:F1} MB, peak working set +{(workingSetPeak - workingSetBaseline) / 1048576.0:F1} MB (simulator in the same process)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"raw pipe `curl GET | curl PUT` of the same URL into Azurite: {pipe.TotalSeconds:F1} s = {piped:F1} MB/s; copy / pipe = {copied / piped:F2}x"));
        return 0;
    }

    /// <summary>The same bytes through two curl processes and a pipe, as a script would move them: no hashing, no blocks.</summary>
    private static async Task<TimeSpan> RawPipeAsync(string storage, string videoUrl, long size)
    {
        var container = new BlobServiceClient(storage).GetBlobContainerClient("bench-output");
        await container.CreateIfNotExistsAsync();
        var target = container.GetBlobClient($"pipe-{Guid.NewGuid():N}.mp4")
            .GenerateSasUri(Azure.Storage.Sas.BlobSasPermissions.Create | Azure.Storage.Sas.BlobSasPermissions.Write, DateTimeOffset.UtcNow.AddHours(1));
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                "-c",
                "set -o pipefail; curl -sSf \"$1\" | curl -sS -X PUT -T - -H 'Transfer-Encoding:' -H 'Expect:' -H 'x-ms-blob-type: BlockBlob' -H \"Content-Length: $3\" \"$2\"",
                "pipe", videoUrl, target.ToString(), size.ToString(CultureInfo.InvariantCulture),
            },
        };
        var watch = Stopwatch.StartNew();
        using var pipe = Process.Start(start)!;
        await pipe.WaitForExitAsync();
        var elapsed = watch.Elapsed;
        if (pipe.ExitCode != 0)
        {
            throw new InvalidOperationException($"the curl pipe exited with {pipe.ExitCode}");
        }

        var written = (await container.GetBlobClient(target.AbsolutePath.Split('/')[^1]).GetPropertiesAsync()).Value.ContentLength;
        return written == size ? elapsed : throw new InvalidOperationException($"the curl pipe wrote {written} of {size} bytes");
    }
}
