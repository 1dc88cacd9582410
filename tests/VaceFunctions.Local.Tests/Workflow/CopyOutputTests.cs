using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>The output copy on large videos, videos over the limit and expired URLs, over real HTTP into Azurite.</summary>
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

        // Four 4 MB blocks in flight, plus what HTTP and the storage client hold: far below the video's size.
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

        Assert.Equal(VaceJobErrorCodes.OutputExpired, result.ErrorCode);
        Assert.Contains("403", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Null(result.BlobUrl);
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("late-job/output.mp4").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Copy_AnnouncedLongerThanTheLimit_IsOutputTooLargeAndNothingIsWritten()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.OutputSizeBytes = 8L * 1024 * 1024, settings: Limit(1024 * 1024));
        var (taskId, videoUrl) = await SucceededTaskAsync(host);
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var result = await copy.RunAsync(new CopyOutputActivity.Request("too-big", taskId, videoUrl, host.OutputContainer, "too-big/output.mp4"), CancellationToken.None);

        Assert.Equal(VaceJobErrorCodes.OutputTooLarge, result.ErrorCode);
        Assert.Contains($"{8L * 1024 * 1024} bytes", result.ErrorMessage, StringComparison.Ordinal);
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("too-big/output.mp4").ExistsAsync()).Value);
    }

    /// <summary>48 MB behind no length (to the end of the connection, or chunked), and behind a Content-Length of 1000 that chunks contradict.</summary>
    [Theory]
    [InlineData("Connection: close\r\n", false)]
    [InlineData("Transfer-Encoding: chunked\r\n", true)]
    [InlineData("Content-Length: 1000\r\nTransfer-Encoding: chunked\r\n", true)]
    public async Task Copy_BodyLongerThanTheLimitWithoutATrueLength_StopsAtTheLimitAsOutputTooLarge(string headers, bool chunked)
    {
        const long limit = 1024 * 1024;
        await using var origin = RawHttpServer.Start(
            $"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n{headers}\r\n", bodyBytes: 48L * 1024 * 1024, chunked: chunked);
        var settings = Limit(limit);
        settings["Vace:AllowLoopbackUrls"] = "true";
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: settings);
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var result = await copy.RunAsync(new CopyOutputActivity.Request("endless", "task-1", origin.Url("video.mp4"), host.OutputContainer, "endless/output.mp4"), CancellationToken.None);

        Assert.True(result.ErrorCode == VaceJobErrorCodes.OutputTooLarge, $"{result.ErrorCode}: {result.ErrorMessage} (size {result.Size})");
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("endless/output.mp4").ExistsAsync()).Value);

        // The limit, plus what socket buffers took before the copy hung up.
        Assert.True(origin.BodyBytesSent < limit + (16L * 1024 * 1024), $"the server sent {origin.BodyBytesSent} bytes");
    }

    private static Dictionary<string, string?> Limit(long bytes) => new() { ["Vace:MaxDownloadBytes"] = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) };

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
