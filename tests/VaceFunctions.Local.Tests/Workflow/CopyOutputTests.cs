using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>The output copy on large videos and expired URLs, over real HTTP into Azurite.</summary>
[Collection(MemoryCollection)]
public sealed class CopyOutputTests
{
    /// <summary>Tests that copy videos run one at a time, so that one's allocations do not count in another's memory bound.</summary>
    public const string MemoryCollection = "Output copies";

    private const long LargeOutput = 300L * 1024 * 1024;

    [Fact]
    public async Task Copy_300MbOutput_StreamsWithBoundedMemoryAndVerifies()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.OutputSizeBytes = LargeOutput);
        var (taskId, videoUrl) = await SucceededTaskAsync(host);
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(10);
            }
        });
        var watch = Stopwatch.StartNew();
        var result = await copy.RunAsync(new CopyOutputActivity.Request("big-job", taskId, videoUrl, host.OutputContainer, "big-job/output.mp4"), CancellationToken.None);
        var elapsed = watch.Elapsed;
        await sampling.CancelAsync();
        await sampler;

        Assert.Equal(LargeOutput, result.Size);
        Assert.Equal(await ExpectedSha256Async(LargeOutput), result.Sha256);
        var properties = await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("big-job/output.mp4").GetPropertiesAsync();
        Assert.Equal(LargeOutput, properties.Value.ContentLength);
        Assert.Equal(result.Sha256, properties.Value.Metadata["sha256"]);

        // One 4 MB block in flight, plus what HTTP and the storage client hold: far below the video's size.
        var grew = (peak - baseline) / (1024.0 * 1024);
        Assert.True(grew < 64, $"managed memory grew by {grew:F1} MB while copying {LargeOutput / (1024 * 1024)} MB in {elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Copy_ExpiredUrl_IsOutputExpired()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.VideoUrlLifetime = TimeSpan.FromMilliseconds(1));
        var (taskId, videoUrl) = await SucceededTaskAsync(host);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var result = await copy.RunAsync(new CopyOutputActivity.Request("late-job", taskId, videoUrl, host.OutputContainer, "late-job/output.mp4"), CancellationToken.None);

        Assert.Contains("403", result.ExpiredReason, StringComparison.Ordinal);
        Assert.Null(result.BlobUrl);
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("late-job/output.mp4").ExistsAsync()).Value);
    }

    private static async Task<(string TaskId, string VideoUrl)> SucceededTaskAsync(WorkflowHost host)
    {
        var client = host.Services.GetRequiredService<DashScopeClient>();
        var taskId = (await client.SubmitAsync(host.Sample("video_edit", "copy")))!.Output!.TaskId!;
        while (true)
        {
            var task = await client.GetTaskAsync(taskId);
            if (task.Output!.Status == DashScopeTaskStatus.Succeeded)
            {
                return (taskId, task.Output.VideoUrl!);
            }

            await Task.Delay(100);
        }
    }

    internal static async Task<string> ExpectedSha256Async(long size)
    {
        await using var video = SampleVideo.Open(size);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(video));
    }
}
