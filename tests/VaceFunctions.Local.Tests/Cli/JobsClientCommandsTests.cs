using System.Text.Json.Nodes;
using VaceFunctions.Local.Tests.Http;

namespace VaceFunctions.Local.Tests.Cli;

/// <summary>vace submit, status, list and cancel, run as processes against a running host.</summary>
public sealed class JobsClientCommandsTests(HttpHostFixture host) : IClassFixture<HttpHostFixture>, IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-cli-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task SubmitWait_ShowsProgressAndEndsWithTheBlob_ThenStatusAndListFindIt()
    {
        var file = Path.Combine(_temp.FullName, "job.json");
        await File.WriteAllTextAsync(file, host.Sample("video_repainting", "cli-1").ToJsonString());

        // The progress display samples every second: a task that runs for 3 s always shows it generating.
        var running = host.Simulator.Options.RunningDuration;
        host.Simulator.Options.RunningDuration = TimeSpan.FromSeconds(3);
        (int ExitCode, string Output, string Error) submitted;
        try
        {
            submitted = await VaceProcess.RunAsync("submit", file, "--wait", "--url", Url, "--api-key", HttpHostFixture.Key);
        }
        finally
        {
            host.Simulator.Options.RunningDuration = running;
        }

        var (exitCode, output, error) = submitted;

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("Job cli-1 accepted.", output, StringComparison.Ordinal);
        Assert.Contains("Generating", output, StringComparison.Ordinal);
        Assert.Contains("Succeeded: http://", output, StringComparison.Ordinal);

        var status = await VaceProcess.RunAsync("status", "cli-1", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Equal(0, status.ExitCode);
        Assert.True(JsonNode.Parse(status.Output)!["result"]!["succeeded"]!.GetValue<bool>());

        var list = await VaceProcess.RunAsync("list", "--status", "Succeeded", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Contains(JsonNode.Parse(list.Output)!.AsArray(), j => j!["id"]!.GetValue<string>() == "cli-1" && j["outcome"]!.GetValue<string>() == "Succeeded");
    }

    [Fact]
    public async Task Submit_InvalidDocument_ExitsOneWithEveryError()
    {
        var file = Path.Combine(_temp.FullName, "bad.json");
        await File.WriteAllTextAsync(file, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "invalid-video-edit.json")));

        var (exitCode, output, _) = await VaceProcess.RunAsync("submit", file, "--url", Url, "--api-key", HttpHostFixture.Key);

        Assert.Equal(1, exitCode);
        Assert.Contains("Refused (400)", output, StringComparison.Ordinal);
        Assert.Contains("mutually_exclusive", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusAndCancel_UnknownJob_ExitTwo_AndAnUnreachableHostIsAMessage()
    {
        Assert.Equal(2, (await VaceProcess.RunAsync("status", "no-such-job", "--url", Url, "--api-key", HttpHostFixture.Key)).ExitCode);
        Assert.Equal(2, (await VaceProcess.RunAsync("cancel", "no-such-job", "--url", Url, "--api-key", HttpHostFixture.Key)).ExitCode);

        var (exitCode, _, error) = await VaceProcess.RunAsync("list", "--url", "http://127.0.0.1:1");
        Assert.Equal(2, exitCode);
        Assert.Contains("Is `vace serve` running?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCommand_WithTheWrongKey_IsRefused()
    {
        var (exitCode, output, _) = await VaceProcess.RunAsync("list", "--url", Url, "--api-key", "wrong");

        Assert.Equal(1, exitCode);
        Assert.Contains("401", output, StringComparison.Ordinal);
    }

    private string Url => host.Host.Urls.First();
}
