using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Intake;

/// <summary>The job queue through the real host and listener, on Azurite, against the simulator.</summary>
public sealed class QueueIntakeTests : IAsyncLifetime
{
    private RunningSimulator _simulator = null!;
    private WebApplication _host = null!;
    private QueueClient _queue = null!;
    private QueueClient _poison = null!;
    private string _output = null!;
    private string _storage = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
        });
        var settings = await HostTestSupport.SettingsAsync(_simulator);
        _storage = settings["AzureWebJobsStorage"]!;
        _output = settings["Vace:OutputContainer"]!;
        var queueName = settings["Vace:Queue:Name"]!;
        _host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], settings);
        await _host.StartAsync();
        var queues = new QueueServiceClient(_storage);
        _queue = queues.GetQueueClient(queueName);
        _poison = queues.GetQueueClient(queueName + "-poison");
        await _queue.CreateIfNotExistsAsync();
        await _poison.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task QueuedDocument_RunsToACompletedJob()
    {
        await _queue.SendMessageAsync(Sample("video_outpainting", "queued-1").ToJsonString());

        var result = await WaitForJobAsync("queued-1");

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.True((await Blob("queued-1/output.mp4").ExistsAsync()).Value);
    }

    [Fact]
    public async Task QueuedDocumentInBase64_AsTheFunctionsTriggerWritesIt_IsReadToo()
    {
        await _queue.SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(Sample("video_extension", "queued-b64").ToJsonString())));

        Assert.True((await WaitForJobAsync("queued-b64")).Succeeded);
    }

    [Fact]
    public async Task DuplicateMessages_StartOneJob()
    {
        var document = Sample("video_edit", null);
        document["input"]!["prompt"] = "A lion in a suit sips coffee, duplicate delivery test.";
        for (var i = 0; i < 3; i++)
        {
            await _queue.SendMessageAsync(document.ToJsonString());
        }

        var id = Orchestrations.Jobs.JobId.Derive(document);
        Assert.True((await WaitForJobAsync(id)).Succeeded);
        await WaitUntilQueueEmptyAsync();
        Assert.Equal(1, _simulator.State.Counters().TasksCreated);
    }

    [Fact]
    public async Task InvalidDocument_GoesToPoisonAtOnceWithARejectionRecord()
    {
        var document = Sample("video_edit", "bad-1");
        document["input"]!["mask_video_url"] = "https://example.com/mask.mp4";
        document["parameters"]!["mask_type"] = "follow";
        await _queue.SendMessageAsync(document.ToJsonString());

        var record = await WaitForRecordAsync("bad-1");
        var poisoned = await WaitForPoisonAsync();

        Assert.False(record["succeeded"]!.GetValue<bool>());
        Assert.Equal(["input.mask_video_url", "parameters.mask_type"], record["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).Order());
        Assert.Contains("bad-1", poisoned, StringComparison.Ordinal);
        Assert.Equal(0, _simulator.State.Counters().Submissions);
    }

    [Fact]
    public async Task NotJson_IsRejectedUnderAnIdDerivedFromItsBytes()
    {
        await _queue.SendMessageAsync("this is not a job");

        var poisoned = await WaitForPoisonAsync();
        Assert.Equal("this is not a job", poisoned);
        var blobs = new List<string>();
        await foreach (var blob in new Azure.Storage.Blobs.BlobServiceClient(_storage).GetBlobContainerClient(_output).GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "rejected-" }))
        {
            blobs.Add(blob.Name);
        }

        var name = Assert.Single(blobs);
        var record = JsonNode.Parse((await Blob(name).DownloadContentAsync()).Value.Content.ToString())!;
        Assert.Equal("invalid_json", record["errors"]![0]!["code"]!.GetValue<string>());
    }

    private JsonObject Sample(string name, string? id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load(name), _simulator.BaseUrl);
        if (id is not null)
        {
            document["id"] = id;
        }

        return document;
    }

    private Azure.Storage.Blobs.BlobClient Blob(string name) =>
        new Azure.Storage.Blobs.BlobServiceClient(_storage).GetBlobContainerClient(_output).GetBlobClient(name);

    private Task<VaceJobResult> WaitForJobAsync(string id) => HostTestSupport.WaitForJobAsync(_host.Services, id);

    private Task<JsonNode> WaitForRecordAsync(string id) => HostTestSupport.WaitForJsonBlobAsync(Blob($"{id}/result.json"));

    private async Task<string> WaitForPoisonAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var peeked = (await _poison.PeekMessageAsync()).Value;
            if (peeked is not null)
            {
                return peeked.MessageText;
            }

            Assert.True(DateTime.UtcNow < deadline, "nothing reached the poison queue");
            await Task.Delay(100);
        }
    }

    private async Task WaitUntilQueueEmptyAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await _queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "queue not drained");
            await Task.Delay(100);
        }
    }
}
