using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Tests.Http;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Local.Tests.Cli;

/// <summary>
/// vace enqueue and vace upload, run as processes configured as the host is (its storage account, queue and inbox),
/// against a running host on Azurite with the simulator, following the jobs through its HTTP API.
/// </summary>
public sealed class IntakeCommandsTests(HttpHostFixture host) : IClassFixture<HttpHostFixture>, IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-intake-cli-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task EnqueueWait_AFileAndStdin_QueuesBothWithTheIdsTheHostUses_AndFollowsThemToSuccess()
    {
        // Without an id, the document's id is derived from it: the one printed must be the one the host runs.
        var derived = host.Sample("video_repainting", id: null);
        var file = Path.Combine(_temp.FullName, "job.json");
        await File.WriteAllTextAsync(file, derived.ToJsonString());
        var piped = host.Sample("video_outpainting", "enqueue-stdin");
        var id = JobId.Derive(derived);

        var (exitCode, output, error) = await RunSlowlyAsync(["enqueue", file, "-", "--wait"], input: piped.ToJsonString(new() { WriteIndented = true }));

        Assert.True(exitCode == 0, output + error);
        Assert.Contains($"Queued job {id} (video_repainting) on '{Queue}'.", output, StringComparison.Ordinal);
        Assert.Contains($"Queued job enqueue-stdin (video_outpainting) on '{Queue}'.", output, StringComparison.Ordinal);
        Assert.Matches($@"\[\s*\d+\.\ds\] {id}: generating: task ", output);
        Assert.Matches(@"\[\s*\d+\.\ds\] enqueue-stdin: generating: task ", output);
        Assert.Contains($"Job {id}: succeeded — DashScope task", output, StringComparison.Ordinal);
        Assert.Contains("Job enqueue-stdin: succeeded — DashScope task", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task EnqueueWait_NdjsonWithABadLine_ReportsTheLineAndItsErrors_QueuesTheValidOnes_AndExitsOne()
    {
        var bad = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "invalid-video-edit.json")))!;
        var file = Path.Combine(_temp.FullName, "jobs.txt");
        await File.WriteAllLinesAsync(file, [
            host.Sample("video_extension", "ndjson-1").ToJsonString(),
            bad.ToJsonString(),
            "",
            host.Sample("image_reference", "ndjson-2").ToJsonString(),
        ]);

        var (exitCode, output, error) = await RunSlowlyAsync(["enqueue", file, "--wait"]);

        Assert.True(exitCode == 1, output + error);
        Assert.Contains($"{file} line 2: invalid — 4 errors; not queued:", error, StringComparison.Ordinal);
        Assert.Contains(
            "  error   input.mask_video_url: Give exactly one of input.mask_image_url and input.mask_video_url, not both. [mutually_exclusive]",
            error, StringComparison.Ordinal);
        Assert.Contains($"Queued job ndjson-1 (video_extension) on '{Queue}'.", output, StringComparison.Ordinal);
        Assert.Contains($"Queued job ndjson-2 (image_reference) on '{Queue}'.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("broken-video-edit", output, StringComparison.Ordinal);
        Assert.Contains("Job ndjson-1: succeeded — DashScope task", output, StringComparison.Ordinal);
        Assert.Contains("Job ndjson-2: succeeded — DashScope task", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_InvalidDocument_IsRefusedAtOnceWithItsErrors_AndNothingIsQueued()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "samples", "invalid-video-edit.json");
        var queue = new QueueClient(host.Settings["AzureWebJobsStorage"], Queue);

        var (exitCode, output, error) = await VaceProcess.RunAsync(["enqueue", file], host.Settings);

        Assert.True(exitCode == 1, output + error);
        Assert.Equal("", output);
        Assert.Contains($"{file}: invalid — 4 errors; not queued:", error, StringComparison.Ordinal);
        Assert.Contains("  error   parameters.expand_ratio: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain((await queue.PeekMessagesAsync(32)).Value, m => m.MessageText.Contains("broken-video-edit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UploadWait_FolderWithBareMediaNames_UploadsMediaAndJobFile_AndTheJobSucceeds_ButNeverReplacesAnUpload()
    {
        var folder = _temp.CreateSubdirectory("campaign");
        await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "clip.mp4"), SampleVideo.Input("sample-input.mp4")!.Value.Bytes);
        await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "mask.png"), SampleVideo.Input("sample-image.png")!.Value.Bytes);
        var document = host.Sample("video_edit", id: null);
        document["input"]!["video_url"] = "clip.mp4";
        document["input"]!["mask_image_url"] = "mask.png";
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "job.json"), document.ToJsonString());
        var id = JobId.Derive(document);
        var name = Azurite.UniqueName("upload");

        var (exitCode, output, error) = await RunSlowlyAsync(["upload", folder.FullName, "--as", name, "--wait"]);

        Assert.True(exitCode == 0, output + error);
        Assert.Contains($"Uploaded job {id} (video_edit) to '{Inbox}/{name}/': clip.mp4, mask.png, job.json.", output, StringComparison.Ordinal);
        Assert.Matches(@"\[\s*\d+\.\ds\] generating: task ", output);
        Assert.Contains($"Job {id}: succeeded — DashScope task", output, StringComparison.Ordinal);
        Assert.Equal("", error);

        var again = await VaceProcess.RunAsync(["upload", folder.FullName, "--as", name], host.Settings);
        Assert.Equal((2, ""), (again.ExitCode, again.Output));
        Assert.Contains($"'{Inbox}/{name}/' holds an earlier upload; nothing was uploaded.", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_FolderLackingANamedMedium_IsRefusedAtOnce_AndNothingIsUploaded()
    {
        var folder = _temp.CreateSubdirectory("incomplete");
        await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "clip.mp4"), SampleVideo.Input("sample-input.mp4")!.Value.Bytes);
        var document = host.Sample("video_edit", "upload-incomplete");
        document["input"]!["video_url"] = "clip.mp4";
        document["input"]!["mask_image_url"] = "mask.png";
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "job.json"), document.ToJsonString());

        var (exitCode, output, error) = await VaceProcess.RunAsync(["upload", folder.FullName], host.Settings);

        Assert.True(exitCode == 1, output + error);
        Assert.Equal("", output);
        Assert.Contains("  error   input.mask_image_url: input.mask_image_url names 'mask.png', but there is no file ", error, StringComparison.Ordinal);
        var inbox = new BlobContainerClient(host.Settings["AzureWebJobsStorage"], Inbox);
        await foreach (var blob in inbox.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "incomplete/" }))
        {
            Assert.Fail($"{blob.Name} was uploaded.");
        }
    }

    /// <summary>Runs vace against the host with tasks that run for 3 s, so that progress sampled every second always shows them generating.</summary>
    private async Task<(int ExitCode, string Output, string Error)> RunSlowlyAsync(string[] args, string? input = null)
    {
        var running = host.Simulator.Options.RunningDuration;
        host.Simulator.Options.RunningDuration = TimeSpan.FromSeconds(3);
        try
        {
            return await VaceProcess.RunAsync([.. args, "--url", host.Host.Urls.First(), "--api-key", HttpHostFixture.Key], host.Settings, input);
        }
        finally
        {
            host.Simulator.Options.RunningDuration = running;
        }
    }

    private string Queue => host.Settings["Vace:Queue:Name"]!;

    private string Inbox => host.Settings["Vace:Inbox:Container"]!;
}
