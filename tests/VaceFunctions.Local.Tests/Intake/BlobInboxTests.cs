using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using Microsoft.DurableTask.Client;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Intake;

/// <summary>The blob-upload pipeline through the real host and listener, on Azurite, against the simulator.</summary>
public sealed class BlobInboxTests : IAsyncLifetime
{
    private readonly Dictionary<string, string?> _settings = [];
    private RunningSimulator _simulator = null!;
    private BlobContainerClient _inbox = null!;
    private BlobContainerClient _output = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
        });
        foreach (var (key, value) in await HostTestSupport.SettingsAsync(_simulator))
        {
            _settings[key] = value;
        }

        var blobs = new BlobServiceClient(_settings["AzureWebJobsStorage"]);
        _inbox = blobs.GetBlobContainerClient(_settings["Vace:Inbox:Container"]);
        _output = blobs.GetBlobContainerClient(_settings["Vace:OutputContainer"]);
        await _inbox.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task JobFolder_WithRelativeMedia_RunsWithTheBlobsBesideIt_AndKeepsNoSasAnywhere()
    {
        await using var host = await StartHostAsync();
        await UploadAsync("campaign/clip.mp4", SampleVideo.Input("sample-input.mp4")!.Value.Bytes);
        await UploadAsync("campaign/mask.png", SampleVideo.Input("sample-image.png")!.Value.Bytes);
        await UploadJobAsync("campaign", JobWith("inbox-1", "clip.mp4", "mask.png"));

        var result = await WaitForJobAsync(host, "inbox-1");

        // The probe read the private blobs (signed when fetched), yet the job's records hold only their plain URLs.
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        var manifestText = (await _output.GetBlobClient("inbox-1/result.json").DownloadContentAsync()).Value.Content.ToString();
        var videoUrl = JsonNode.Parse(manifestText)!["request"]!["input"]!["video_url"]!.GetValue<string>();
        Assert.Equal(_inbox.GetBlobClient("campaign/clip.mp4").Uri.AbsoluteUri, videoUrl);
        Assert.DoesNotContain("sig=", manifestText, StringComparison.Ordinal);
        var instance = await host.Services.GetRequiredService<DurableTaskClient>().GetInstanceAsync("inbox-1", getInputsAndOutputs: true);
        Assert.DoesNotContain("sig=", instance!.SerializedInput, StringComparison.Ordinal);
        Assert.Equal([videoUrl, _inbox.GetBlobClient("campaign/mask.png").Uri.AbsoluteUri], instance.ReadInputAs<VaceJobRequest>()!.OwnedMedia);
        using var plain = new HttpClient();
        Assert.False((await plain.GetAsync(videoUrl)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task JobFolder_NamingAMissingBlob_IsRejectedWithARecordNamingIt()
    {
        await using var host = await StartHostAsync();
        await UploadAsync("incomplete/clip.mp4", SampleVideo.Input("sample-input.mp4")!.Value.Bytes);
        await UploadJobAsync("incomplete", JobWith("inbox-missing", "clip.mp4", "mask.png"));

        var record = await WaitForRecordAsync("inbox-missing");

        var error = Assert.Single(record["errors"]!.AsArray());
        Assert.Equal(("media_not_found", "input.mask_image_url"), (error!["code"]!.GetValue<string>(), error["path"]!.GetValue<string>()));
        Assert.Contains("incomplete/mask.png", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(await host.Services.GetRequiredService<DurableTaskClient>().GetInstanceAsync("inbox-missing"));
    }

    [Fact]
    public async Task JobFile_IsTakenOnceAcrossRestarts_AndAChangedUploadIsANewJob()
    {
        await UploadAsync("once/clip.mp4", SampleVideo.Input("sample-input.mp4")!.Value.Bytes);
        await UploadAsync("once/mask.png", SampleVideo.Input("sample-image.png")!.Value.Bytes);
        var document = JobWith(null, "clip.mp4", "mask.png");
        await UploadJobAsync("once", document);
        var firstId = Orchestrations.Jobs.JobId.Derive(document);
        await using (var first = await StartHostAsync())
        {
            Assert.True((await WaitForJobAsync(first, firstId)).Succeeded);
        }

        await using var second = await StartHostAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, _simulator.State.Counters().TasksCreated);

        document["input"]!["prompt"] = "The same cafe, now with a tiger.";
        await UploadJobAsync("once", document);
        Assert.True((await WaitForJobAsync(second, Orchestrations.Jobs.JobId.Derive(document))).Succeeded);
        Assert.Equal(2, _simulator.State.Counters().TasksCreated);
    }

    private async Task<WebApplication> StartHostAsync()
    {
        var host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], _settings);
        await host.StartAsync();
        return host;
    }

    private static JsonObject JobWith(string? id, string video, string mask)
    {
        var document = SampleDocuments.Load("video_edit");
        if (id is not null)
        {
            document["id"] = id;
        }

        document["input"]!["video_url"] = video;
        document["input"]!["mask_image_url"] = mask;
        return document;
    }

    private async Task UploadAsync(string name, byte[] content) => await _inbox.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(content), overwrite: true);

    private async Task UploadJobAsync(string folder, JsonObject document) =>
        await _inbox.GetBlobClient($"{folder}/job.json").UploadAsync(BinaryData.FromString(document.ToJsonString()), overwrite: true);

    private static Task<VaceJobResult> WaitForJobAsync(WebApplication host, string id) => HostTestSupport.WaitForJobAsync(host.Services, id);

    private Task<JsonNode> WaitForRecordAsync(string id) => HostTestSupport.WaitForJsonBlobAsync(_output.GetBlobClient($"{id}/result.json"));
}
