using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Local.Tests.Http;

namespace VaceFunctions.Local.Tests.Cli;

/// <summary>vace submit, status, list and cancel, run as processes against a running host.</summary>
public sealed class JobsClientCommandsTests(HttpHostFixture host) : IClassFixture<HttpHostFixture>, IDisposable
{
    /// <summary>The first error of samples/invalid-video-edit.json, as the CLI prints it.</summary>
    private const string MaskError =
        "  error   input.mask_video_url: Give exactly one of input.mask_image_url and input.mask_video_url, not both. [mutually_exclusive]";

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
        Assert.Contains("generating: task", output, StringComparison.Ordinal);
        Assert.Contains("Job cli-1: succeeded — DashScope task", output, StringComparison.Ordinal);
        Assert.Contains("  video     http://", output, StringComparison.Ordinal);
        Assert.Equal("", error);

        var status = await VaceProcess.RunAsync("status", "cli-1", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Equal(0, status.ExitCode);
        Assert.StartsWith("Job cli-1: succeeded — DashScope task", status.Output, StringComparison.Ordinal);
        var json = await VaceProcess.RunAsync("status", "cli-1", "--json", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Equal(0, json.ExitCode);
        Assert.True(JsonNode.Parse(json.Output)!["result"]!["succeeded"]!.GetValue<bool>());

        // The same document again starts nothing: the answer says the job exists and shows its state, never "accepted".
        var again = await VaceProcess.RunAsync("submit", file, "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Equal(0, again.ExitCode);
        Assert.DoesNotContain("accepted", again.Output, StringComparison.Ordinal);
        Assert.Contains("Job cli-1 already exists; nothing new was started. Its state:", again.Output, StringComparison.Ordinal);
        Assert.Contains("  Job cli-1: succeeded — DashScope task", again.Output, StringComparison.Ordinal);

        var list = await VaceProcess.RunAsync("list", "--status", "Succeeded", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Contains(JsonNode.Parse(list.Output)!.AsArray(), j => j!["id"]!.GetValue<string>() == "cli-1" && j["outcome"]!.GetValue<string>() == "Succeeded");
    }

    [Fact]
    public async Task Submit_InvalidDocument_ExitsOneWithEveryError()
    {
        var file = Path.Combine(_temp.FullName, "bad.json");
        await File.WriteAllTextAsync(file, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "invalid-video-edit.json")));

        var (exitCode, output, error) = await VaceProcess.RunAsync("submit", file, "--url", Url, "--api-key", HttpHostFixture.Key);

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.Contains("Refused (400): The job document is invalid.", error, StringComparison.Ordinal);
        Assert.Contains(MaskError, error, StringComparison.Ordinal);
        Assert.Contains("  error   parameters.expand_ratio: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_DocumentRejectedAtIntake_ShowsItsRejectionRecordWithEveryError()
    {
        var document = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "samples", "invalid-video-edit.json"));
        var rejected = await host.Host.Services.GetRequiredService<JobIntake>().SubmitAsync(document, IntakeSource.Queue, CancellationToken.None);
        Assert.Equal((IntakeStatus.Rejected, "broken-video-edit"), (rejected.Status, rejected.JobId));

        var (exitCode, output, error) = await VaceProcess.RunAsync("status", "broken-video-edit", "--url", Url, "--api-key", HttpHostFixture.Key);

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.Contains("Job broken-video-edit: rejected at intake (", error, StringComparison.Ordinal);
        Assert.Contains(MaskError, error, StringComparison.Ordinal);
        Assert.Contains("  warning parameters.control_condition: ", error, StringComparison.Ordinal);
        var json = await VaceProcess.RunAsync("status", "broken-video-edit", "--json", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Equal(1, json.ExitCode);
        var view = JsonNode.Parse(json.Output)!;
        Assert.Equal(("Rejected", "InvalidInput"), (view["runtimeStatus"]!.GetValue<string>(), view["result"]!["errorCode"]!.GetValue<string>()));
        Assert.Equal(4, view["errors"]!.AsArray().Count);
    }

    [Fact]
    public async Task Status_AfterCancelOfARunningTask_SaysCanceledAndBilled_NotGenerating()
    {
        host.Simulator.State.Faults = new SimulatorFaults { StuckInRunning = true };
        var file = Path.Combine(_temp.FullName, "job.json");
        var document = host.Sample("video_extension", "cli-cancel");
        document["input"]!["prompt"] = "A dog whose task runs on.";
        await File.WriteAllTextAsync(file, document.ToJsonString());
        Assert.Equal(0, (await VaceProcess.RunAsync("submit", file, "--url", Url, "--api-key", HttpHostFixture.Key)).ExitCode);
        await WaitForAsync("cli-cancel", view => view["progress"]?["taskStatus"]?.GetValue<string>() == "RUNNING");
        host.Simulator.State.Faults = new SimulatorFaults();

        var cancel = await VaceProcess.RunAsync("cancel", "cli-cancel", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Equal(0, cancel.ExitCode);
        Assert.Contains("Job cli-cancel: cancel requested", cancel.Output, StringComparison.Ordinal);
        await WaitForAsync("cli-cancel", view => view["result"] is not null);
        var (exitCode, output, error) = await VaceProcess.RunAsync("status", "cli-cancel", "--url", Url, "--api-key", HttpHostFixture.Key);

        // The instance still follows the billed task, but the job has ended for its user: as Canceled.
        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.StartsWith("Job cli-cancel: Canceled — ", error, StringComparison.Ordinal);
        Assert.Contains("is still RUNNING and billed; its slot is held until it ends.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("enerating", error, StringComparison.Ordinal);

        await host.Host.Services.GetRequiredService<DurableTaskClient>().TerminateInstanceAsync("cli-cancel");
        await host.Host.Services.GetRequiredService<AdmissionSlots>().ReleaseAsync("cli-cancel", CancellationToken.None);
    }

    [Fact]
    public async Task StatusAndCancel_UnknownJob_ExitTwo_AndAnUnreachableHostIsAMessage()
    {
        var status = await VaceProcess.RunAsync("status", "no-such-job", "--url", Url, "--api-key", HttpHostFixture.Key);
        Assert.Equal((2, "", "No job 'no-such-job'."), (status.ExitCode, status.Output, status.Error.Trim()));
        Assert.Equal(2, (await VaceProcess.RunAsync("cancel", "no-such-job", "--url", Url, "--api-key", HttpHostFixture.Key)).ExitCode);

        var (exitCode, _, error) = await VaceProcess.RunAsync("list", "--url", "http://127.0.0.1:1");
        Assert.Equal(2, exitCode);
        Assert.Contains("Is `vace serve` running?", error, StringComparison.Ordinal);
    }

    /// <summary>A host that wants a key from every caller (on this machine a key no client has is simply ignored).</summary>
    [Fact]
    public async Task AnyCommand_WithTheWrongKey_IsRefused()
    {
        host.Reconfigure(new Dictionary<string, string?> { ["Vace:Http:TrustLoopback"] = "false" });
        (int, string, string) answer;
        try
        {
            answer = await VaceProcess.RunAsync("list", "--url", Url, "--api-key", "wrong");
        }
        finally
        {
            host.Reconfigure(new Dictionary<string, string?> { ["Vace:Http:TrustLoopback"] = "true" });
        }

        var (exitCode, output, error) = answer;

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.StartsWith("Refused (401): An API key is required", error, StringComparison.Ordinal);
    }

    private async Task WaitForAsync(string id, Func<JsonNode, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, $"api/jobs/{id}")).Content.ReadAsStringAsync()) is not { } view || !condition(view))
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    private string Url => host.Host.Urls.First();
}
