using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Local.Tests;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Operations;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Functions.Tests;

/// <summary>
/// The Functions app's triggers called as the Functions host calls them — with a real <c>DurableTaskClient</c> of the
/// in-memory Durable Task engine running the real orchestrator and activities, real queue messages and blobs on
/// Azurite, and the DashScope simulator — each started job followed to its end.
/// </summary>
public sealed class TriggerTests : IAsyncLifetime
{
    private const string FaceClient = "python-client";
    private const string FaceClientKey = "vace_a-key-of-the-python-client";
    private static readonly string SampleSha256 = Convert.ToHexStringLower(SHA256.HashData(SampleVideo.Bytes.Span));
    private readonly string _output = Azurite.UniqueName("out");
    private readonly string _queue = Azurite.UniqueName("jobs");
    private readonly string _inbox = Azurite.UniqueName("inbox");
    private RunningSimulator _simulator = null!;
    private DurableTaskTestHost _host = null!;
    private string _storage = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
        });
        _storage = (await Azurite.GetAsync()).ConnectionString;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = _storage,
            ["DashScope:BaseUrl"] = _simulator.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = _simulator.Options.ApiKey,
            ["Vace:InitialPollInterval"] = "00:00:00.100",
            ["Vace:PollInterval"] = "00:00:00.200",
            ["Vace:SlotRetryInterval"] = "00:00:00.200",
            ["Vace:AllowLoopbackUrls"] = "true",
            ["Vace:StateContainer"] = Azurite.UniqueName("state"),
            ["Vace:OutputContainer"] = _output,
            ["Vace:Queue:Name"] = _queue,
            ["Vace:Inbox:Container"] = _inbox,
            ["Vace:Http:KeyList"] = $"ci=sha256:{new string('0', 64)}, {FaceClient}={ClientKeys.Hash(FaceClientKey)}",
        }).Build();
        _host = await DurableTaskTestHost.StartAsync(
            registry => registry.AddVaceWorkflow(),
            new DurableTaskTestHostOptions
            {
                ConfigureServices = services =>
                {
                    services.AddSingleton<IConfiguration>(configuration);
                    services.AddLogging();
                    services.AddVaceFunctions(configuration);
                },
            });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task StartJobFromQueue_ADocumentedRequest_RunsToAVerifiedBlob()
    {
        var document = Sample("video_edit", "fn-queue-1");
        var trigger = ActivatorUtilities.CreateInstance<StartJobFromQueue>(_host.Services);

        await trigger.RunAsync(Message(document.ToJsonString()), _host.Client, new TestFunctionContext(_host.Services));
        var result = await CompletionAsync("fn-queue-1");

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(SampleSha256, result.Sha256);
        Assert.True((await new BlobServiceClient(_storage).GetBlobContainerClient(_output).GetBlobClient("fn-queue-1/output.mp4").ExistsAsync()).Value);
    }

    [Fact]
    public async Task StartJobFromQueue_Base64AndDeliveredTwice_StartsOneJob()
    {
        var document = Sample("video_outpainting", "fn-queue-twice");
        var trigger = ActivatorUtilities.CreateInstance<StartJobFromQueue>(_host.Services);
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(document.ToJsonString()));

        await trigger.RunAsync(Message(base64), _host.Client, new TestFunctionContext(_host.Services));
        await trigger.RunAsync(Message(base64), _host.Client, new TestFunctionContext(_host.Services));
        var result = await CompletionAsync("fn-queue-twice");

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(1, _simulator.State.Counters().TasksCreated);
    }

    [Fact]
    public async Task StartJobFromQueue_InvalidDocument_IsPoisonedWithARejectionRecordAndNotRetried()
    {
        var document = Sample("video_edit", "fn-queue-bad");
        document["input"]!["mask_video_url"] = "https://example.com/m.mp4";
        var trigger = ActivatorUtilities.CreateInstance<StartJobFromQueue>(_host.Services);

        await trigger.RunAsync(Message(document.ToJsonString()), _host.Client, new TestFunctionContext(_host.Services));

        var poisoned = (await new QueueServiceClient(_storage).GetQueueClient(_queue + "-poison").ReceiveMessageAsync()).Value;
        Assert.Contains("fn-queue-bad", poisoned.MessageText, StringComparison.Ordinal);
        var record = JsonNode.Parse((await new BlobServiceClient(_storage).GetBlobContainerClient(_output).GetBlobClient("fn-queue-bad/result.json").DownloadContentAsync()).Value.Content.ToString())!;
        Assert.Equal("InvalidInput", record["errorCode"]!.GetValue<string>());
        Assert.Null(await _host.Client.GetInstanceAsync("fn-queue-bad"));

        // The HTTP API shows the document's status as its rejection record, not as an unknown job.
        var api = ActivatorUtilities.CreateInstance<JobsHttpApi>(_host.Services);
        var (status, view) = await SendAsync(context => api.GetJob(context.Request, "fn-queue-bad", _host.Client));
        Assert.Equal((200, "Rejected", false), (status, view!["runtimeStatus"]!.GetValue<string>(), view["result"]!["succeeded"]!.GetValue<bool>()));
        Assert.Equal("input.mask_video_url", view["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task StartJobFromBlob_AJobFileWithMediaBesideIt_RunsToAVerifiedBlob()
    {
        var inbox = new BlobServiceClient(_storage).GetBlobContainerClient(_inbox);
        await inbox.CreateIfNotExistsAsync();
        await inbox.GetBlobClient("cafe/clip.mp4").UploadAsync(new BinaryData(SampleVideo.Input("sample-input.mp4")!.Value.Bytes));
        await inbox.GetBlobClient("cafe/mask.png").UploadAsync(new BinaryData(SampleVideo.Input("sample-image.png")!.Value.Bytes));
        var document = SampleDocuments.Load("video_edit");
        document["id"] = "fn-blob-1";
        document["input"]!["video_url"] = "clip.mp4";
        document["input"]!["mask_image_url"] = "mask.png";
        var jobFile = inbox.GetBlobClient("cafe/job.json");
        await jobFile.UploadAsync(BinaryData.FromString(document.ToJsonString()));
        var trigger = ActivatorUtilities.CreateInstance<StartJobFromBlob>(_host.Services);

        await trigger.RunAsync(jobFile, "cafe", _host.Client, new TestFunctionContext(_host.Services));
        var result = await CompletionAsync("fn-blob-1");

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(SampleSha256, result.Sha256);
    }

    [Fact]
    public async Task JobsHttpApi_SubmitThenGet_AnswersAsTheEmbeddedHostDoes()
    {
        var api = ActivatorUtilities.CreateInstance<JobsHttpApi>(_host.Services);

        var (submitted, accepted) = await SendAsync(context => api.SubmitJob(context.Request, _host.Client), Sample("video_outpainting", "fn-http-1").ToJsonString());
        await CompletionAsync("fn-http-1");
        var (status, view) = await SendAsync(context => api.GetJob(context.Request, "fn-http-1", _host.Client));
        var (missing, _) = await SendAsync(context => api.GetJob(context.Request, "fn-http-none", _host.Client));
        var (manifestStatus, manifest) = await SendAsync(context => api.GetJobManifest(context.Request, "fn-http-1", _host.Client));

        Assert.Equal((202, "fn-http-1", true), (submitted, accepted!["id"]!.GetValue<string>(), accepted["created"]!.GetValue<bool>()));
        Assert.Equal((200, "Completed", true), (status, view!["runtimeStatus"]!.GetValue<string>(), view["result"]!["succeeded"]!.GetValue<bool>()));
        Assert.Equal(("Succeeded", "video_outpainting"), (view["outcome"]!.GetValue<string>(), view["function"]!.GetValue<string>()));
        Assert.Contains("sig=", view["outputUrl"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal((200, "fn-http-1", true), (manifestStatus, manifest!["jobId"]!.GetValue<string>(), manifest["result"]!["succeeded"]!.GetValue<bool>()));
        Assert.Equal(404, missing);
    }

    [Fact]
    public async Task BatchesHttpApi_SubmitThenGet_RunsTheValidLinesAsOrdinaryJobs()
    {
        var api = ActivatorUtilities.CreateInstance<BatchesHttpApi>(_host.Services);
        var lines = string.Join('\n', "{\"batch\":{\"id\":\"fn-batch\"}}", Sample("video_outpainting", "fn-batch-a").ToJsonString(),
            "{\"model\":\"nope\"}", Sample("video_outpainting", "fn-batch-b").ToJsonString());

        var (submitted, accepted) = await SendAsync(context => api.SubmitBatch(context.Request, _host.Client), lines, contentType: "application/x-ndjson");
        var (plain, _) = await SendAsync(context => api.SubmitBatch(context.Request, _host.Client), lines, contentType: "text/plain");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _host.Client.WaitForInstanceCompletionAsync("batch:fn-batch", timeout.Token);
        var (status, view) = await SendAsync(context => BatchesHttpApi.GetBatch(context.Request, "fn-batch", _host.Client));
        var (listed, list) = await SendAsync(context => BatchesHttpApi.ListBatches(context.Request, _host.Client));

        Assert.Equal((202, 3, 2), (submitted, accepted!["lines"]!.GetValue<int>(), accepted["accepted"]!.GetValue<int>()));
        Assert.Equal(3, accepted["rejected"]!.AsArray().Single()!["line"]!.GetValue<int>());
        Assert.Equal(415, plain);
        Assert.Equal((200, "ended", 2, 1), (status, view!["state"]!.GetValue<string>(),
            view["counts"]!["succeeded"]!.GetValue<int>(), view["counts"]!["rejected"]!.GetValue<int>()));
        Assert.Equal(200, listed);
        Assert.Contains(list!.AsArray(), b => b!["id"]!.GetValue<string>() == "fn-batch");
        Assert.Equal(SampleSha256, (await CompletionAsync("fn-batch-a")).Sha256);
    }

    /// <summary>
    /// A DashScope client sends its key as <c>Authorization: Bearer</c>, the one way it knows: the face takes a client's
    /// key so, creates and follows the task to an owned video; no key, another key or a body that is not JSON is refused.
    /// </summary>
    [Fact]
    public async Task DashScopeFace_WithAClientKeyAsBearer_CreatesAndFollowsTheTask_AndRefusesAnyOtherKey()
    {
        var api = ActivatorUtilities.CreateInstance<JobsHttpApi>(_host.Services);
        var body = Sample("video_outpainting", "unused");
        body.Remove("id");
        Dictionary<string, string> Headers(string? key) => key is null
            ? new() { ["X-DashScope-Async"] = "enable" }
            : new() { ["X-DashScope-Async"] = "enable", ["Authorization"] = $"Bearer {key}" };

        var (created, answer) = await SendAsync(context => api.CreateDashScopeTask(context.Request, _host.Client), body.ToJsonString(), Headers(FaceClientKey));
        var taskId = answer!["output"]!["task_id"]!.GetValue<string>();
        await CompletionAsync(taskId);
        var (queried, task) = await SendAsync(context => api.GetDashScopeTask(context.Request, taskId, _host.Client), headers: Headers(FaceClientKey));
        var (anonymous, refusal) = await SendAsync(context => api.GetDashScopeTask(context.Request, taskId, _host.Client), headers: Headers(null));
        var (otherKey, _) = await SendAsync(context => api.GetDashScopeTask(context.Request, taskId, _host.Client), headers: Headers("sk-a-dashscope-key"));
        var (createdWithout, _) = await SendAsync(context => api.CreateDashScopeTask(context.Request, _host.Client), body.ToJsonString(), Headers(null));
        var (text, _) = await SendAsync(
            context => api.CreateDashScopeTask(context.Request, _host.Client), body.ToJsonString(), Headers(FaceClientKey), contentType: "text/plain");

        Assert.Equal((200, "PENDING"), (created, answer["output"]!["task_status"]!.GetValue<string>()));
        Assert.Equal((200, "SUCCEEDED"), (queried, task!["output"]!["task_status"]!.GetValue<string>()));
        Assert.Contains($"/{_output}/{taskId}/", task["output"]!["video_url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal((401, "InvalidApiKey"), (anonymous, refusal!["code"]!.GetValue<string>()));
        Assert.Equal((401, 401, 415), (otherKey, createdWithout, text));
    }

    [Fact]
    public async Task PoisonHttpApi_ListsAnInvalidDocumentWithItsReason_AndRedrivesItsCorrectionToTheJobsQueue()
    {
        var document = Sample("video_edit", "fn-poison-1");
        document["input"]!["mask_video_url"] = "https://example.com/m.mp4";
        await ActivatorUtilities.CreateInstance<StartJobFromQueue>(_host.Services)
            .RunAsync(Message(document.ToJsonString()), _host.Client, new TestFunctionContext(_host.Services));
        var api = ActivatorUtilities.CreateInstance<PoisonHttpApi>(_host.Services);

        var (listed, listing) = await SendAsync(context => api.ListPoison(context.Request, _host.Client));
        var message = listing!["messages"]!.AsArray().Single()!;
        Assert.Equal((200, "fn-poison-1", "rejected"), (listed, message["jobId"]!.GetValue<string>(), message["reason"]!.GetValue<string>()));
        Assert.Equal("input.mask_video_url", message["errors"]![0]!["path"]!.GetValue<string>());
        var id = message["id"]!.GetValue<string>();

        var (refused, _) = await SendAsync(context => api.RedrivePoison(context.Request, id, _host.Client));
        var (redriven, answer) = await SendAsync(context => api.RedrivePoison(context.Request, id, _host.Client), Sample("video_edit", "fn-poison-1").ToJsonString());
        var (gone, _) = await SendAsync(context => api.ShowPoison(context.Request, id, _host.Client));

        Assert.Equal((422, 202, "fn-poison-1", 404), (refused, redriven, answer!["jobId"]!.GetValue<string>(), gone));
        var requeued = (await new QueueServiceClient(_storage).GetQueueClient(_queue).ReceiveMessageAsync()).Value;
        Assert.Equal("fn-poison-1", JsonNode.Parse(requeued.MessageText)!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task PurgeFinishedInstances_PurgesAFinishedInstanceOlderThanTheRetention()
    {
        await ActivatorUtilities.CreateInstance<StartJobFromQueue>(_host.Services)
            .RunAsync(Message(Sample("video_outpainting", "fn-purge-1").ToJsonString()), _host.Client, new TestFunctionContext(_host.Services));
        await CompletionAsync("fn-purge-1");
        var client = _host.Client;
        var retention = new InstanceRetention(Options.Create(new WorkflowOptions()), new ManualClock(DateTimeOffset.UtcNow.AddDays(29)), NullLogger<InstanceRetention>.Instance);
        var later = new InstanceRetention(Options.Create(new WorkflowOptions()), new ManualClock(DateTimeOffset.UtcNow.AddDays(31)), NullLogger<InstanceRetention>.Instance);

        await new PurgeFinishedInstances(retention).RunAsync(null!, client, new TestFunctionContext(_host.Services));
        Assert.NotNull(await client.GetInstanceAsync("fn-purge-1"));
        await new PurgeFinishedInstances(later).RunAsync(null!, client, new TestFunctionContext(_host.Services));
        Assert.Null(await client.GetInstanceAsync("fn-purge-1"));
    }

    /// <summary>Calls an HTTP function as the ASP.NET Core integration does and runs the result it returns.</summary>
    private async Task<(int Status, JsonNode? Body)> SendAsync(
        Func<HttpContext, Task<IActionResult>> function, string? body = null, Dictionary<string, string>? headers = null, string contentType = "application/json")
    {
        var context = new DefaultHttpContext { RequestServices = _host.Services };
        var bytes = Encoding.UTF8.GetBytes(body ?? "");
        context.Request.Body = new MemoryStream(bytes);
        if (body is not null)
        {
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = contentType;
        }

        foreach (var (name, value) in headers ?? [])
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        var result = await function(context);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        context.Response.Body.Position = 0;
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return (context.Response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private JsonObject Sample(string name, string id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load(name), _simulator.BaseUrl);
        document["id"] = id;
        return document;
    }

    private static QueueMessage Message(string text) =>
        QueuesModelFactory.QueueMessage(Guid.NewGuid().ToString(), "pop", BinaryData.FromString(text), 1);

    private async Task<VaceJobResult> CompletionAsync(string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await _host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<VaceJobResult>()!;
    }
}
