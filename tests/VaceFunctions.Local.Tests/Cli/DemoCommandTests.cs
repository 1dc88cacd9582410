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
        Assert.Contains("Probing", output, StringComparison.Ordinal);
        Assert.Contains("SUCCEEDED", output, StringComparison.Ordinal);
        Assert.Contains("(verified)", output, StringComparison.Ordinal);
        var video = Assert.Single(_out.GetFiles("demo-video-repainting-*.mp4"));
        Assert.Equal(SHA256.HashData(SampleVideo.Bytes.Span), SHA256.HashData(File.ReadAllBytes(video.FullName)));
        Assert.Contains(video.FullName, output, StringComparison.Ordinal);
    }
}
