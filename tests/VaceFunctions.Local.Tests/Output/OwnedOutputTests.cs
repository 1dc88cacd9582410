using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaceFunctions.Local.Tests.Workflow;
using VaceFunctions.Orchestrations;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Output;

/// <summary>
/// A job touches only what is its own, on Azurite: its video and manifest are created with If-None-Match and replace
/// only the job's own blobs, so another job's video or record is never overwritten, a job's own copy repeated after a
/// crash succeeds without downloading again, and a rejection record never replaces a job's record.
/// </summary>
[Collection(CopyOutputTests.MemoryCollection)]
public sealed class OwnedOutputTests : IAsyncLifetime
{
    // Two different videos, larger than one 4 MB block so that a copy stages several.
    private static readonly byte[] VideoA = RandomNumberGenerator.GetBytes(CopyOutputActivity.BlockBytes + 1024);
    private static readonly byte[] VideoB = RandomNumberGenerator.GetBytes(CopyOutputActivity.BlockBytes + 2048);

    private WebApplication _origin = null!;
    private ServiceProvider _services = null!;
    private BlobContainerClient _output = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _origin = builder.Build();
        _origin.MapGet("/a.mp4", () => Results.Bytes(VideoA, "video/mp4"));
        _origin.MapGet("/b.mp4", () => Results.Bytes(VideoB, "video/mp4"));
        await _origin.StartAsync();

        var storage = (await Azurite.GetAsync()).ConnectionString;
        _services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DashScope:ApiKey"] = "k",

                // Nothing listens on port 9: a copy that asked the service for its video's URL would fail.
                ["DashScope:BaseUrl"] = "http://127.0.0.1:9/",
                ["Vace:AllowLoopbackUrls"] = "true",
            }).Build())
            .AddSingleton(new BlobServiceClient(storage))
            .AddLogging()
            .AddVaceOrchestrations()
            .BuildServiceProvider();
        _output = _services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(Azurite.UniqueName("owned"));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _origin.DisposeAsync();
    }

    [Fact]
    public async Task Copy_NameHoldingAnotherJobsVideo_IsAConflictAndTheVideoStays()
    {
        var first = await CopyAsync("job-a", "task-a", "a.mp4", "shared/out.mp4");
        var before = (await _output.GetBlobClient("shared/out.mp4").GetPropertiesAsync()).Value;

        var second = await CopyAsync("job-b", "task-b", "b.mp4", "shared/out.mp4");

        Assert.NotNull(first.BlobUrl);
        Assert.Null(second.BlobUrl);
        Assert.Equal(VaceJobErrorCodes.OutputConflict, second.ErrorCode);
        Assert.Contains("already holds another job's output", second.ErrorMessage, StringComparison.Ordinal);
        var after = (await _output.GetBlobClient("shared/out.mp4").GetPropertiesAsync()).Value;
        Assert.Equal((before.ETag, "job-a"), (after.ETag, after.Metadata["jobid"]));
        Assert.Equal(Sha256(VideoA), await ContentSha256Async("shared/out.mp4"));
    }

    [Fact]
    public async Task Copy_RepeatedByTheSameJobAfterItsUrlExpired_ReturnsTheCopyItMade()
    {
        var first = await CopyAsync("job-a", "task-a", "a.mp4", "again/out.mp4");
        var etag = (await _output.GetBlobClient("again/out.mp4").GetPropertiesAsync()).Value.ETag;

        // As after a crash between the commit and the activity's completion: the service and the URL are gone, the
        // copy is already the job's, so it is found and neither asked for nor fetched again.
        var again = await ActivatorUtilities.CreateInstance<CopyOutputActivity>(_services)
            .RunAsync(new CopyOutputActivity.Request("job-a", "task-a", _output.Name, "again/out.mp4"), CancellationToken.None);

        Assert.Equal(first, again);
        Assert.Equal((Sha256(VideoA), (long)VideoA.Length), (again.Sha256, again.Size));
        Assert.Equal(etag, (await _output.GetBlobClient("again/out.mp4").GetPropertiesAsync()).Value.ETag);
    }

    [Fact]
    public async Task Copy_OfTheSameJobForANewTask_ReplacesItsOwnVideo()
    {
        await CopyAsync("job-a", "task-1", "a.mp4", "rerun/out.mp4");

        var rerun = await CopyAsync("job-a", "task-2", "b.mp4", "rerun/out.mp4");

        Assert.Equal(Sha256(VideoB), rerun.Sha256);
        Assert.Equal(Sha256(VideoB), await ContentSha256Async("rerun/out.mp4"));
    }

    [Fact]
    public async Task Copy_OverItsJobsBlobWithoutSha256_ReplacesItWithAWholeCopy()
    {
        // As after a crash between the upload and the metadata that completes it: the job's blob, with no sha256.
        await _output.CreateIfNotExistsAsync();
        var metadata = OwnedBlobs.Metadata("job-a", OwnedBlobs.VideoKind);
        metadata["taskid"] = "task-a";
        await _output.GetBlobClient("cut/out.mp4").UploadAsync(BinaryData.FromBytes(VideoA.AsMemory(0, 1000)), new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = metadata });

        var copy = await CopyAsync("job-a", "task-a", "a.mp4", "cut/out.mp4");

        Assert.Equal((Sha256(VideoA), (long)VideoA.Length), (copy.Sha256, copy.Size));
        Assert.Equal(Sha256(VideoA), await ContentSha256Async("cut/out.mp4"));
        var properties = (await _output.GetBlobClient("cut/out.mp4").GetPropertiesAsync()).Value;
        Assert.Equal((Sha256(VideoA), "job-a", "task-a"), (properties.Metadata["sha256"], properties.Metadata["jobid"], properties.Metadata["taskid"]));
    }

    [Fact]
    public async Task Copy_TwoJobsToOneNameAtOnce_OneWinsWholeAndTheOtherConflicts()
    {
        var copies = await Task.WhenAll(CopyAsync("job-a", "task-a", "a.mp4", "race/out.mp4"), CopyAsync("job-b", "task-b", "b.mp4", "race/out.mp4"));

        var winner = Assert.Single(copies, c => c.BlobUrl is not null);
        Assert.Single(copies, c => c.ErrorCode == VaceJobErrorCodes.OutputConflict);

        // The blob is the winner's video, whole and unmixed: its blocks carry their job's tag.
        var properties = (await _output.GetBlobClient("race/out.mp4").GetPropertiesAsync()).Value;
        Assert.Equal(winner.Sha256, await ContentSha256Async("race/out.mp4"));
        Assert.Equal(winner.Sha256 == Sha256(VideoA) ? "job-a" : "job-b", properties.Metadata["jobid"]);
    }

    [Fact]
    public async Task Manifest_NameHoldingAnotherJobsRecord_IsAConflictAndTheRecordStays()
    {
        await WriteManifestAsync("job-a", "shared/result.json");

        var error = await Assert.ThrowsAsync<OutputConflictException>(() => WriteManifestAsync("job-b", "shared/result.json"));

        Assert.Contains("already holds another job's record", error.Message, StringComparison.Ordinal);
        Assert.Equal("job-a", (await ReadJsonAsync("shared/result.json"))["jobId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Manifest_RewrittenByItsJob_ReplacesItsOwn()
    {
        await WriteManifestAsync("job-a", "job-a/result.json");

        // As when the callback failed and the manifest is written again with the warning.
        await WriteManifestAsync("job-a", "job-a/result.json", errorMessage: "The callback could not be delivered.");

        Assert.Equal("The callback could not be delivered.", (await ReadJsonAsync("job-a/result.json"))["result"]!["errorMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task Manifest_OnAVideoOfItsOwnJob_IsAConflict()
    {
        await CopyAsync("job-a", "task-a", "a.mp4", "odd/result.json");

        await Assert.ThrowsAsync<OutputConflictException>(() => WriteManifestAsync("job-a", "odd/result.json"));

        Assert.Equal(Sha256(VideoA), await ContentSha256Async("odd/result.json"));
    }

    [Fact]
    public async Task Intake_OutputContainer_OnlyTheConfiguredAllowListAndNeverTheInbox()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: new Dictionary<string, string?>
        {
            ["Vace:AllowedOutputContainers"] = "campaign-videos, vace-inbox",
            ["Vace:Inbox:Container"] = "vace-inbox",
        });
        var intake = host.Services.GetRequiredService<JobIntake>();
        Task<IntakeOutcome> SubmitAsync(string id, string container)
        {
            var document = host.Sample("video_edit", id);
            document["output"] = new JsonObject { ["container"] = container };
            return intake.SubmitAsync(Encoding.UTF8.GetBytes(document.ToJsonString()), IntakeSource.Http, CancellationToken.None);
        }

        var allowed = await SubmitAsync(Azurite.UniqueName("allowed"), "campaign-videos");
        var refused = new[] { "vace-inbox", host.StateContainer, $"{host.Hub.ToLowerInvariant()}-leases", "somebody-elses" };
        var outcomes = await Task.WhenAll(refused.Select(c => SubmitAsync(Azurite.UniqueName("refused"), c)));

        Assert.Equal(IntakeStatus.Started, allowed.Status);
        Assert.All(outcomes, o => Assert.Equal(
            (IntakeStatus.Rejected, "output_container_not_allowed", "output.container"),
            (o.Status, Assert.Single(o.Errors).Code, Assert.Single(o.Errors).Path)));
    }

    [Fact]
    public async Task Intake_RejectionUnderTheIdOfAJobWithARecord_LeavesTheRecord()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        var intake = host.Services.GetRequiredService<JobIntake>();
        var output = host.Blobs.GetBlobContainerClient(host.OutputContainer);
        await output.CreateIfNotExistsAsync();
        var manifests = ActivatorUtilities.CreateInstance<WriteManifestActivity>(host.Services);
        await manifests.RunAsync(new WriteManifestActivity.Request(host.OutputContainer, "taken/result.json", Manifest("taken")), CancellationToken.None);

        var outcome = await intake.SubmitAsync(Encoding.UTF8.GetBytes("""{"id":"taken","input":{"function":"video_edit"}}"""), IntakeSource.Queue, CancellationToken.None);

        Assert.Equal(IntakeStatus.Rejected, outcome.Status);
        var record = JsonNode.Parse((await output.GetBlobClient("taken/result.json").DownloadContentAsync()).Value.Content.ToString())!;
        Assert.True(record["result"]!["succeeded"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Intake_RejectedIdThatLaterRuns_ItsManifestReplacesTheRejection()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        var intake = host.Services.GetRequiredService<JobIntake>();
        var output = host.Blobs.GetBlobContainerClient(host.OutputContainer);

        await intake.SubmitAsync(Encoding.UTF8.GetBytes("""{"id":"fixed","input":{"function":"video_edit"}}"""), IntakeSource.Queue, CancellationToken.None);
        var rejection = (await output.GetBlobClient("fixed/result.json").DownloadContentAsync()).Value;
        Assert.Equal("rejection", rejection.Details.Metadata["kind"]);

        await ActivatorUtilities.CreateInstance<WriteManifestActivity>(host.Services).RunAsync(new WriteManifestActivity.Request(host.OutputContainer, "fixed/result.json", Manifest("fixed")), CancellationToken.None);

        var record = JsonNode.Parse((await output.GetBlobClient("fixed/result.json").DownloadContentAsync()).Value.Content.ToString())!;
        Assert.True(record["result"]!["succeeded"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Jobs_NamingTheSameOutput_TheSecondFailsWithOutputConflict_AndOneFolderKeepsARecordPerJob()
    {
        await using var host = await WorkflowHost.StartAsync();
        var output = host.Blobs.GetBlobContainerClient(host.OutputContainer);
        JsonObject Job(string id, string blob)
        {
            var document = host.Sample("video_outpainting", id);
            document["output"] = new JsonObject { ["blob"] = blob };
            return document;
        }

        var first = await host.WaitAsync(await host.StartAsync(Job("campaign-017", "campaign/017.mp4")));
        var neighbour = await host.WaitAsync(await host.StartAsync(Job("campaign-018", "campaign/018.mp4")));
        var second = await host.WaitAsync(await host.StartAsync(Job("campaign-017-again", "campaign/017.mp4")));

        Assert.True(first.Succeeded, first.ErrorMessage);
        Assert.True(neighbour.Succeeded, neighbour.ErrorMessage);
        Assert.Equal((false, VaceJobErrorCodes.OutputConflict), (second.Succeeded, second.ErrorCode));
        Assert.Contains("campaign/017.mp4 already holds another job's output", second.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("campaign-017", (await output.GetBlobClient("campaign/017.mp4").GetPropertiesAsync()).Value.Metadata["jobid"]);
        Assert.Equal(("campaign/017.result.json", "campaign/018.result.json"), (first.ManifestBlob, neighbour.ManifestBlob));
        Assert.Equal("campaign-017", JsonNode.Parse((await output.GetBlobClient("campaign/017.result.json").DownloadContentAsync()).Value.Content.ToString())!["jobId"]!.GetValue<string>());
        Assert.Equal("campaign-018", JsonNode.Parse((await output.GetBlobClient("campaign/018.result.json").DownloadContentAsync()).Value.Content.ToString())!["jobId"]!.GetValue<string>());
    }

    private async Task<CopyOutputActivity.Result> CopyAsync(string jobId, string taskId, string video, string blob) =>
        await ActivatorUtilities.CreateInstance<CopyOutputActivity>(_services)
            .RunAsync(new CopyOutputActivity.Request(jobId, taskId, _output.Name, blob), _origin.Urls.First() + "/" + video, CancellationToken.None);

    private Task<string> WriteManifestAsync(string jobId, string blob, string? errorMessage = null) =>
        ActivatorUtilities.CreateInstance<WriteManifestActivity>(_services)
            .RunAsync(new WriteManifestActivity.Request(_output.Name, blob, Manifest(jobId) with { Result = Manifest(jobId).Result with { ErrorMessage = errorMessage } }), CancellationToken.None);

    private static VaceJobManifest Manifest(string jobId) => new() { JobId = jobId, Result = new VaceJobResult { JobId = jobId, Succeeded = true } };

    private async Task<JsonNode> ReadJsonAsync(string blob) => JsonNode.Parse((await _output.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToString())!;

    private async Task<string> ContentSha256Async(string blob)
    {
        await using var content = await _output.GetBlobClient(blob).OpenReadAsync();
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(content));
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
