using System.Diagnostics;
using System.Security.Cryptography;
using VaceFunctions.DashScopeSimulator;

namespace VaceFunctions.Local.Tests.Cli;

public sealed class DemoCommandTests : IDisposable
{
    private readonly DirectoryInfo _out = Directory.CreateTempSubdirectory("vace-demo-");

    public void Dispose() => _out.Delete(recursive: true);

    [Fact]
    public async Task Demo_Offline_RunsASampleEndToEndAndDownloadsTheVerifiedVideo()
    {
        var (exitCode, output, error) = await VaceProcess.RunAsync("demo", "--sample", "video_repainting", "--out", _out.FullName);

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("DashScope: the simulator", output, StringComparison.Ordinal);
        // Progress is sampled every 250 ms: the seconds-long generating phase always shows; the instant between the
        // service's SUCCEEDED and the copy may not, so the end is checked on the final line instead.
        Assert.Contains("generating: task", output, StringComparison.Ordinal);
        Assert.Contains("succeeded: DashScope task", output, StringComparison.Ordinal);
        Assert.Contains("(verified)", output, StringComparison.Ordinal);
        var video = Assert.Single(_out.GetFiles("demo-video-repainting-*.mp4"));
        Assert.Equal(SHA256.HashData(SampleVideo.Bytes.Span), SHA256.HashData(File.ReadAllBytes(video.FullName)));
        Assert.Contains(video.FullName, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_UnknownSample_ListsTheKnownOnesOnStderr_AndExitsTwo()
    {
        var (exitCode, output, error) = await VaceProcess.RunAsync("demo", "--sample", "nosuch", "--out", _out.FullName);

        Assert.Equal((2, ""), (exitCode, output));
        Assert.Contains("No sample 'nosuch'. Samples: image_reference, invalid-image-reference, ", error, StringComparison.Ordinal);
        Assert.Contains("video_edit, video_extension, video_outpainting, video_repainting", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_UnreadableSample_PrintsWhyWithoutAStackTrace_AndExitsOne()
    {
        var (exitCode, output, error) = await VaceProcess.RunAsync("demo", "--sample", "invalid-truncated", "--out", _out.FullName);

        Assert.Equal((1, ""), (exitCode, output));
        Assert.Contains("The sample 'invalid-truncated' would be rejected at intake; no job was started:", error, StringComparison.Ordinal);
        Assert.Contains("  error   $: The document is not valid JSON: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_RejectedSample_PrintsEveryErrorAndExitsOne_WithoutWaitingForAJob()
    {
        var watch = Stopwatch.StartNew();
        var (exitCode, output, error) = await VaceProcess.RunAsync("demo", "--sample", "invalid-video-edit", "--out", _out.FullName);

        Assert.True(exitCode == 1, output + error);
        // Azurite and the host start (seconds), then the check refuses the document; no job is queued or followed.
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), $"took {watch.Elapsed}");
        Assert.DoesNotContain("Queued job", output, StringComparison.Ordinal);
        Assert.Contains(
            "  error   input.mask_video_url: Give exactly one of input.mask_image_url and input.mask_video_url, not both. [mutually_exclusive]",
            error, StringComparison.Ordinal);
        Assert.Contains("  error   parameters.mask_type: ", error, StringComparison.Ordinal);
        Assert.Contains("  error   parameters.expand_ratio: ", error, StringComparison.Ordinal);
        Assert.Contains("  error   input.mask_frame_id: ", error, StringComparison.Ordinal);
        Assert.Empty(_out.GetFiles());
    }
}
