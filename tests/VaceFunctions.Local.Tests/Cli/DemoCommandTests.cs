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
}
