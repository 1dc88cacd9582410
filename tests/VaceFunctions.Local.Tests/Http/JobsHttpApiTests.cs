using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>The HTTP API through the real listener: jobs, errors, auth, and the DashScope-compatible face.</summary>
public sealed class JobsHttpApiTests(HttpHostFixture host) : IClassFixture<HttpHostFixture>
{
    private static readonly string SampleSha256 = Convert.ToHexStringLower(SHA256.HashData(SampleVideo.Bytes.Span));

    [Fact]
    public async Task PostJob_Valid_Is202WithLocation_AndStatusIs202ThenDone()
    {
        var response = await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-1").ToJsonString());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/api/jobs/http-1", response.Headers.Location!.ToString());
        var accepted = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("http-1", true), (accepted["id"]!.GetValue<string>(), accepted["created"]!.GetValue<bool>()));
        Assert.Equal(HttpStatusCode.Accepted, (await host.SendAsync(HttpMethod.Get, "api/jobs/http-1")).StatusCode);

        var done = await WaitDoneAsync("http-1");
        Assert.True(done["result"]!["succeeded"]!.GetValue<bool>());
        Assert.Equal(SampleSha256, done["result"]!["sha256"]!.GetValue<string>());
        Assert.Equal("Completed", done["runtimeStatus"]!.GetValue<string>());

        var again = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-1").ToJsonString())).Content.ReadAsStringAsync())!;
        Assert.False(again["created"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("job-0123456789abcdef0123456789abcdef")]
    [InlineData("task-0123")]
    [InlineData("idem-0123")]
    public async Task PostJob_IdInAPrefixTheHostDerives_Is400InvalidId_OnBothFaces(string id)
    {
        var document = host.Sample("video_edit", id);

        var jobs = await host.SendAsync(HttpMethod.Post, "api/jobs", document.ToJsonString());
        var face = await host.SendAsync(HttpMethod.Post, CreatePath, document.ToJsonString(), bearer: true, async: true);

        Assert.Equal(HttpStatusCode.BadRequest, jobs.StatusCode);
        var error = Assert.Single(JsonNode.Parse(await jobs.Content.ReadAsStringAsync())!["errors"]!.AsArray())!;
        Assert.Equal((JobIssueCodes.InvalidId, "id"), (error["code"]!.GetValue<string>(), error["path"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, face.StatusCode);
        Assert.Contains("id: A job id may not start with", JsonNode.Parse(await face.Content.ReadAsStringAsync())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/" + id)).StatusCode);
    }

    [Fact]
    public async Task PostJob_Invalid_Is400ProblemWithEveryError()
    {
        var document = host.Sample("video_edit", "http-bad");
        document["input"]!["mask_video_url"] = "https://example.com/m.mp4";
        document["parameters"]!["expand_ratio"] = 3;

        var response = await host.SendAsync(HttpMethod.Post, "api/jobs", document.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(["input.mask_video_url", "parameters.expand_ratio"], problem["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).Order());
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/http-bad")).StatusCode);
    }

    [Fact]
    public async Task PostJob_NotJsonOrTooLarge_IsRefused()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(HttpMethod.Post, "api/jobs", "{ nope")).StatusCode);
        var huge = "{\"pad\":\"" + new string('x', 300 * 1024) + "\"}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await host.SendAsync(HttpMethod.Post, "api/jobs", huge)).StatusCode);
    }

    /// <summary>
    /// A client that sends a body many times the limit without waiting for 100-continue (HttpClient's default) still
    /// reads the answer and its body, on each route that reads a job document, instead of a reset connection.
    /// </summary>
    [Theory]
    [InlineData("api/jobs", HttpStatusCode.RequestEntityTooLarge, "title", "may be at most 256 KB")]
    [InlineData("api/poison/any-message/redrive", HttpStatusCode.RequestEntityTooLarge, "title", "may be at most 256 KB")]
    [InlineData("api/v1/services/aigc/video-generation/video-synthesis", HttpStatusCode.BadRequest, "message", "too large")]
    public async Task PostTenMegabytes_WithoutExpectContinue_ReadsTheRefusalWithItsBody(string path, HttpStatusCode expected, string field, string says)
    {
        var huge = "{\"pad\":\"" + new string('x', 10 * 1024 * 1024) + "\"}";

        var response = await host.SendAsync(HttpMethod.Post, path, huge, async: true);

        Assert.NotEqual(true, response.RequestMessage!.Headers.ExpectContinue);
        Assert.Equal(expected, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(says, body[field]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostTenMegabytes_Chunked_ReadsThe413WithItsProblem()
    {
        using var request = HugeBody(new GeneratedBody(10 * 1024 * 1024));

        using var response = await host.Http.SendAsync(request);

        Assert.True(request.Headers.TransferEncodingChunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("may be at most 256 KB", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["title"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>A large body that is not JSON is refused unread, and the client still reads the 415 rather than a reset.</summary>
    [Fact]
    public async Task PostTenMegabytes_OfText_ReadsThe415()
    {
        using var request = HugeBody(new GeneratedBody(10 * 1024 * 1024));
        request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");

        using var response = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    /// <summary>
    /// A body that never ends, sent fast or slowly, cannot hold the server: it takes in a bounded amount for a bounded
    /// time after its answer and then closes the connection, so the request ends either way.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    public async Task PostEndlessBody_EndsTheRequest_AfterABoundedAmount(int pauseMilliseconds)
    {
        var body = new GeneratedBody(long.MaxValue, pause: TimeSpan.FromMilliseconds(pauseMilliseconds));
        using var request = HugeBody(body);

        var send = host.Http.SendAsync(request);
        var ended = await Task.WhenAny(send, Task.Delay(TimeSpan.FromMinutes(2)));

        Assert.Same(send, ended);
        try
        {
            (await send).Dispose();
        }
        catch (HttpRequestException)
        {
        }

        Assert.True(body.BytesRead <= JobsApi.MaxDrainedBodyBytes + (16 * 1024 * 1024), $"the server took in {body.BytesRead:N0} bytes");
    }

    private static HttpRequestMessage HugeBody(Stream body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = new StreamContent(body) { Headers = { { "Content-Type", "application/json" } } } };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = false;
        request.Headers.Add("x-api-key", HttpHostFixture.Key);
        return request;
    }

    /// <summary>Through a proxy, a request needs a client's key: none, or one no client has, is refused on every route.</summary>
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task AnyRoute_WithoutTheKey_Is401(string? key)
    {
        var proxied = HttpHostFixture.Proxied;
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_edit", null).ToJsonString(), key, header: proxied)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.SendAsync(HttpMethod.Get, "api/jobs/x", key: key, header: proxied)).StatusCode);
        var face = await host.SendAsync(HttpMethod.Get, "api/v1/tasks/x", key: key, bearer: true, header: proxied);
        Assert.Equal(HttpStatusCode.Unauthorized, face.StatusCode);
        Assert.Equal("InvalidApiKey", JsonNode.Parse(await face.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetJob_Unknown_Is404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/never-submitted")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Post, "api/jobs/never-submitted/cancel")).StatusCode);
    }

    [Fact]
    public async Task Cancel_JobWhoseTaskIsPending_EndsIt_AndASecondCancelConflicts()
    {
        using var pending = host.KeepTasksPending();
        var document = host.Sample("video_extension", "http-cancel");
        document["input"]!["prompt"] = "A dog that will be canceled.";
        await host.SendAsync(HttpMethod.Post, "api/jobs", document.ToJsonString());
        await WaitForPhaseAsync("http-cancel", "Generating");

        Assert.Equal(HttpStatusCode.Accepted, (await host.SendAsync(HttpMethod.Post, "api/jobs/http-cancel/cancel")).StatusCode);
        var done = await WaitDoneAsync("http-cancel");

        // A cancel is a request the orchestrator answers at its next wait: the job completes, as Canceled, with its manifest.
        Assert.Equal("Completed", done["runtimeStatus"]!.GetValue<string>());
        Assert.Equal(VaceJobErrorCodes.Canceled, done["result"]!["errorCode"]!.GetValue<string>());
        Assert.Equal("http-cancel/result.json", done["result"]!["manifestBlob"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await host.SendAsync(HttpMethod.Post, "api/jobs/http-cancel/cancel")).StatusCode);
        var listed = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/jobs?status=Canceled&top=1000")).Content.ReadAsStringAsync())!.AsArray();
        Assert.Contains(listed, j => j!["id"]!.GetValue<string>() == "http-cancel" && j["runtimeStatus"]!.GetValue<string>() == "Completed");
    }

    [Fact]
    public async Task Cancel_JobWhoseTaskRuns_IsReportedCanceledAtOnce_AsRunningAndBilled_AndASecondCancelConflicts()
    {
        host.Simulator.State.Faults = new SimulatorFaults { StuckInRunning = true };
        var document = host.Sample("video_extension", "http-cancel-running");
        document["input"]!["prompt"] = "A dog whose task runs on.";
        await host.SendAsync(HttpMethod.Post, "api/jobs", document.ToJsonString());
        await WaitForRunningTaskAsync("http-cancel-running");
        host.Simulator.State.Faults = new SimulatorFaults();

        // The face keeps the service's rule: a task already RUNNING cannot be canceled there.
        var refused = await host.SendAsync(HttpMethod.Post, "api/v1/tasks/http-cancel-running/cancel", bearer: true);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("UnsupportedOperation", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, (await host.SendAsync(HttpMethod.Post, "api/jobs/http-cancel-running/cancel")).StatusCode);
        var done = await WaitDoneAsync("http-cancel-running");

        // The job has ended for its user (result, manifest) while its instance still follows the task that runs on.
        Assert.Equal("Running", done["runtimeStatus"]!.GetValue<string>());
        Assert.Equal(("AwaitingBilledTask", VaceJobErrorCodes.Canceled), (done["progress"]!["phase"]!.GetValue<string>(), done["result"]!["errorCode"]!.GetValue<string>()));
        Assert.Contains("could not be canceled: it runs on and is billed", done["result"]!["errorMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await host.SendAsync(HttpMethod.Post, "api/jobs/http-cancel-running/cancel")).StatusCode);
        var task = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/v1/tasks/http-cancel-running")).Content.ReadAsStringAsync())!;
        Assert.Equal("CANCELED", task["output"]!["task_status"]!.GetValue<string>());

        // The simulated task never ends: stop following it, as an operator would, so the shared host's slots stay free.
        await Client.TerminateInstanceAsync("http-cancel-running");
        await host.Host.Services.GetRequiredService<AdmissionSlots>().ReleaseAsync("http-cancel-running", CancellationToken.None);
    }

    [Fact]
    public async Task PostJob_SameIdWhileRunning_StartsNothingAndLeavesTheRunningJobAsItWas()
    {
        using var pending = host.KeepTasksPending();
        var first = host.Sample("video_extension", "http-dup-running");
        first["input"]!["prompt"] = "The first dog, skateboarding.";
        await host.SendAsync(HttpMethod.Post, "api/jobs", first.ToJsonString());
        await WaitForPhaseAsync("http-dup-running", "Generating");

        var second = host.Sample("video_extension", "http-dup-running");
        second["input"]!["prompt"] = "A different dog, surfing.";
        var again = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Post, "api/jobs", second.ToJsonString())).Content.ReadAsStringAsync())!;
        var instance = (await Client.GetInstanceAsync("http-dup-running", getInputsAndOutputs: true))!;
        await host.SendAsync(HttpMethod.Post, "api/jobs/http-dup-running/cancel");
        await WaitDoneAsync("http-dup-running");

        Assert.False(again["created"]!.GetValue<bool>());
        Assert.Equal(OrchestrationRuntimeStatus.Running, instance.RuntimeStatus);
        Assert.Contains("The first dog", instance.ReadInputAs<VaceJobRequest>()!.RequestJson, StringComparison.Ordinal);
        Assert.Equal(VaceJobPhase.Generating, instance.ReadCustomStatusAs<VaceJobStatus>()!.Phase);
    }

    [Fact]
    public async Task Purge_FinishedJob_RemovesItsInstanceAndHistory()
    {
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-purge").ToJsonString());
        await WaitDoneAsync("http-purge");

        var purged = await Client.PurgeInstanceAsync("http-purge");

        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/http-purge")).StatusCode);
    }

    [Fact]
    public async Task ListJobs_ComesInPages_FollowingTheContinuationToken()
    {
        foreach (var id in new[] { "http-page-1", "http-page-2" })
        {
            await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", id).ToJsonString());
            await WaitDoneAsync(id);
        }

        var seen = new List<string>();
        string? token = null;
        do
        {
            var response = await host.SendAsync(HttpMethod.Get, "api/jobs?status=Succeeded&top=1" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)));
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
            Assert.True(page.Count <= 1, $"a page of {page.Count}");
            seen.AddRange(page.Select(j => j!["id"]!.GetValue<string>()));
            token = response.Headers.TryGetValues("X-Continuation-Token", out var values) ? values.Single() : null;
        }
        while (token is not null && seen.Count < 100);

        Assert.Contains("http-page-1", seen);
        Assert.Contains("http-page-2", seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task GetJob_Succeeded_ShowsOutcomeFunctionTimeline_AndAFreshReadUrlOfTheOwnedVideo()
    {
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-view").ToJsonString());
        var done = await WaitDoneAsync("http-view");

        Assert.Equal(("Succeeded", "video_outpainting"), (done["outcome"]!.GetValue<string>(), done["function"]!.GetValue<string>()));
        Assert.Equal(
            ["Probing", "WaitingForSlot", "Submitting", "Generating", "Copying", "WritingManifest"],
            done["progress"]!["phases"]!.AsObject().Select(p => p.Key));
        var outputUrl = new Uri(done["outputUrl"]!.GetValue<string>());
        var blobs = host.Host.Services.GetRequiredService<BlobServiceClient>();
        Assert.Equal(blobs.Uri.Authority, outputUrl.Authority);
        using var storage = new HttpClient();
        Assert.Equal(SampleSha256, Convert.ToHexStringLower(SHA256.HashData(await storage.GetByteArrayAsync(outputUrl))));
        var unsigned = await storage.GetAsync(new UriBuilder(outputUrl) { Query = "" }.Uri);
        Assert.False(unsigned.IsSuccessStatusCode, "the owned output is readable only through the signed URL");
    }

    [Fact]
    public async Task GetManifest_OfAJob_IsItsResultJson_OfARejectedDocument_ItsRecord_AndOfAnUnknownOne_404()
    {
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-manifest").ToJsonString());
        await WaitDoneAsync("http-manifest");
        var queue = host.Host.Services.GetRequiredService<QueueServiceClient>()
            .GetQueueClient(host.Host.Services.GetRequiredService<IConfiguration>()["Vace:Queue:Name"]);
        var invalid = host.Sample("video_edit", "http-manifest-rejected");
        ((JsonObject)invalid["input"]!).Remove("video_url");
        await queue.SendMessageAsync(invalid.ToJsonString());
        await WaitDoneAsync("http-manifest-rejected");

        var manifest = await host.SendAsync(HttpMethod.Get, "api/jobs/http-manifest/manifest");
        var record = await host.SendAsync(HttpMethod.Get, "api/jobs/http-manifest-rejected/manifest");

        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal("application/json", manifest.Content.Headers.ContentType!.MediaType);
        var written = JsonNode.Parse(await manifest.Content.ReadAsStringAsync())!;
        Assert.Equal(("http-manifest", true), (written["jobId"]!.GetValue<string>(), written["result"]!["succeeded"]!.GetValue<bool>()));
        Assert.NotNull(written["phases"]!["Generating"]);
        Assert.Equal(HttpStatusCode.OK, record.StatusCode);
        Assert.Contains("input.video_url", await record.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/never-submitted/manifest")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.SendAsync(HttpMethod.Get, "api/jobs/http-manifest/manifest", key: null, header: HttpHostFixture.Proxied)).StatusCode);
    }

    [Fact]
    public async Task ListJobs_ByFunction_ListsOnlyThatFunctionsJobs_EachWithItsFunction()
    {
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-fn-outpainting").ToJsonString());
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("image_reference", "http-fn-reference").ToJsonString());
        await WaitDoneAsync("http-fn-outpainting");
        await WaitDoneAsync("http-fn-reference");

        var outpainting = await ListAllAsync("function=video_outpainting");
        var reference = await ListAllAsync("function=image_reference&status=Succeeded");

        Assert.Contains(outpainting, j => j["id"]!.GetValue<string>() == "http-fn-outpainting");
        Assert.All(outpainting, j => Assert.Equal("video_outpainting", j["function"]!.GetValue<string>()));
        Assert.Contains(reference, j => j["id"]!.GetValue<string>() == "http-fn-reference");
        Assert.All(reference, j => Assert.Equal(("image_reference", "Succeeded"), (j["function"]!.GetValue<string>(), j["outcome"]!.GetValue<string>())));
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(HttpMethod.Get, "api/jobs?function=video_magic")).StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_IsServed()
    {
        var document = JsonNode.Parse(await host.Http.GetStringAsync("openapi/v1.json"))!;

        Assert.NotNull(document["paths"]!["/api/jobs"]);
        Assert.NotNull(document["paths"]!["/api/v1/tasks/{taskId}"]);

        // A summary in a few words, the detail in the description (as eShop's routes do).
        var operations = document["paths"]!.AsObject().Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Select(o => (Route: $"{o.Key} {p.Key}", Operation: o.Value!))).ToArray();
        Assert.NotEmpty(operations);
        Assert.All(operations, o =>
        {
            Assert.True(o.Operation["summary"]?.GetValue<string>() is { Length: > 0 and <= 40 }, $"{o.Route}: summary {o.Operation["summary"]}");
            Assert.True(o.Operation["description"]?.GetValue<string>() is { Length: > 0 }, $"{o.Route}: no description");
        });
    }

    /// <summary>A client written to DashScope's documented shapes, with only the base URL (and key) changed.</summary>
    [Fact]
    public async Task DashScopeFace_CreateAndQuery_AsTheDocumentationShows_EndWithAnOwnedVideo()
    {
        var body = host.Sample("video_edit", null);
        body["input"]!["prompt"] = "A lion in a suit, asked through the DashScope face.";

        var refused = await host.SendAsync(HttpMethod.Post, "api/v1/services/aigc/video-generation/video-synthesis", body.ToJsonString(), bearer: true);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("AccessDenied", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());

        var created = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Post, "api/v1/services/aigc/video-generation/video-synthesis", body.ToJsonString(), bearer: true, async: true)).Content.ReadAsStringAsync())!;
        var taskId = created["output"]!["task_id"]!.GetValue<string>();
        Assert.Equal("PENDING", created["output"]!["task_status"]!.GetValue<string>());
        Assert.NotNull(created["request_id"]);

        JsonNode task;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        do
        {
            await Task.Delay(200);
            task = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, $"api/v1/tasks/{taskId}", key: HttpHostFixture.Key, bearer: true)).Content.ReadAsStringAsync())!;
            Assert.True(DateTime.UtcNow < deadline);
        }
        while (task["output"]!["task_status"]!.GetValue<string>() is "PENDING" or "RUNNING");

        Assert.True(task["output"]!["task_status"]!.GetValue<string>() == "SUCCEEDED" && task["usage"] is not null, task.ToJsonString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$", task["output"]!["submit_time"]!.GetValue<string>());
        Assert.Equal(5, task["usage"]!["video_duration"]!.GetValue<double>());
        var videoUrl = task["output"]!["video_url"]!.GetValue<string>();
        Assert.Contains("sig=", videoUrl, StringComparison.Ordinal);
        var expires = new Azure.Storage.Blobs.BlobUriBuilder(new Uri(videoUrl)).Sas.ExpiresOn;
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(55), DateTimeOffset.UtcNow.AddMinutes(61));
        using var plain = new HttpClient();
        Assert.Equal(SampleSha256, Convert.ToHexStringLower(SHA256.HashData(await plain.GetByteArrayAsync(videoUrl))));

        var unknown = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/v1/tasks/no-such-task", bearer: true)).Content.ReadAsStringAsync())!;
        Assert.Equal("UNKNOWN", unknown["output"]!["task_status"]!.GetValue<string>());

        var invalid = await host.SendAsync(HttpMethod.Post, "api/v1/services/aigc/video-generation/video-synthesis", "{\"model\":\"wan2.1-vace-plus\",\"input\":{}}", bearer: true, async: true);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("InvalidParameter", JsonNode.Parse(await invalid.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task DashScopeFace_TheDocumentationsCurlCommands_WorkWithOnlyTheBaseUrlChanged()
    {
        var baseUrl = host.Host.Urls.First();
        var body = host.Sample("video_outpainting", null);
        body["input"]!["prompt"] = "The violinist again, asked with curl.";

        var taskId = JsonNode.Parse(await Curl.CreateTaskAsync(baseUrl, HttpHostFixture.Key, body.ToJsonString()))!["output"]!["task_id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        JsonNode task;
        do
        {
            await Task.Delay(200);
            task = JsonNode.Parse(await Curl.GetTaskAsync(baseUrl, HttpHostFixture.Key, taskId))!;
            Assert.True(DateTime.UtcNow < deadline);
        }
        while (task["output"]!["task_status"]!.GetValue<string>() is "PENDING" or "RUNNING");

        Assert.Equal("SUCCEEDED", task["output"]!["task_status"]!.GetValue<string>());
        Assert.NotNull(task["output"]!["video_url"]);
    }

    [Fact]
    public async Task ListJobs_ByOutcome_ListsAFailedJobUnderFailedAndNotUnderSucceeded()
    {
        host.Simulator.State.Faults = new SimulatorFaults { FailTasksWithCode = "InternalError" };
        try
        {
            await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-outcome-failed").ToJsonString());
            await WaitDoneAsync("http-outcome-failed");
        }
        finally
        {
            host.Simulator.State.Faults = new SimulatorFaults();
        }

        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "http-outcome-ok").ToJsonString());
        await WaitDoneAsync("http-outcome-ok");

        var failed = await ListAllAsync("status=Failed");
        var succeeded = await ListAllAsync("status=Succeeded");

        // The failed job's orchestration completed: by runtime status it is Completed, by outcome Failed.
        Assert.Contains(failed, j => j["id"]!.GetValue<string>() == "http-outcome-failed" && j["runtimeStatus"]!.GetValue<string>() == "Completed");
        Assert.All(failed, j => Assert.Equal("Failed", j["outcome"]!.GetValue<string>()));
        Assert.DoesNotContain(failed, j => j["id"]!.GetValue<string>() == "http-outcome-ok");
        Assert.Contains(succeeded, j => j["id"]!.GetValue<string>() == "http-outcome-ok");
        Assert.DoesNotContain(succeeded, j => j["id"]!.GetValue<string>() == "http-outcome-failed");
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendAsync(HttpMethod.Get, "api/jobs?status=Completed")).StatusCode);

        // The face reports the service's own code for the task the service failed, and the end in the service's format.
        var task = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/v1/tasks/http-outcome-failed", bearer: true)).Content.ReadAsStringAsync())!["output"]!;
        Assert.Equal(("FAILED", "InternalError"), (task["task_status"]!.GetValue<string>(), task["code"]!.GetValue<string>()));
        Assert.Matches(ServiceTime, task["end_time"]!.GetValue<string>());
    }

    [Fact]
    public async Task DashScopeFace_TheSameBodyTwice_IsTwoTasks_AndBothSucceed()
    {
        var body = host.Sample("video_outpainting", null);
        body["input"]!["prompt"] = "The same violinist, asked twice.";

        var first = await CreateTaskAsync(body.ToJsonString());
        var second = await CreateTaskAsync(body.ToJsonString());

        Assert.NotEqual(first, second);
        Assert.Equal("SUCCEEDED", (await WaitTaskEndedAsync(first))["task_status"]!.GetValue<string>());
        Assert.Equal("SUCCEEDED", (await WaitTaskEndedAsync(second))["task_status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DashScopeFace_TheSameIdempotencyKeyTwice_IsOneTask_AndWithAnotherBodyIs422()
    {
        var key = KeyValuePair.Create("Idempotency-Key", "order-" + Guid.NewGuid().ToString("N"));
        var body = host.Sample("video_outpainting", null);
        body["input"]!["prompt"] = "A violinist, asked with an idempotency key.";

        var first = await CreateTaskAsync(body.ToJsonString(), key);
        var again = await CreateTaskAsync(body.ToJsonString(), key);
        body["input"]!["prompt"] = "Another violinist under the same key.";
        var reused = await host.SendAsync(HttpMethod.Post, CreatePath, body.ToJsonString(), bearer: true, async: true, header: key);

        Assert.Equal(first, again);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "IdempotencyKeyReused"),
            (reused.StatusCode, JsonNode.Parse(await reused.Content.ReadAsStringAsync())!["code"]!.GetValue<string>()));
        Assert.Equal("SUCCEEDED", (await WaitTaskEndedAsync(first))["task_status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DashScopeFace_InvalidBody_ReportsEveryProblemInTheServicesErrorShape()
    {
        var body = host.Sample("video_edit", null);
        body["input"]!["mask_video_url"] = "https://example.com/m.mp4";
        body["parameters"]!["expand_ratio"] = 3;

        var response = await host.SendAsync(HttpMethod.Post, CreatePath, body.ToJsonString(), bearer: true, async: true);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["code", "message", "request_id"], error.Select(p => p.Key).Order());
        Assert.Equal("InvalidParameter", error["code"]!.GetValue<string>());
        Assert.Contains("input.mask_video_url: ", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("; parameters.expand_ratio: ", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DashScopeFace_CancelOfAPendingTask_EndsItCanceled_AndCancelOfAnEndedOrUnknownTaskIsUnsupported()
    {
        using var pending = host.KeepTasksPending();
        var body = host.Sample("video_extension", null);
        body["input"]!["prompt"] = "A dog canceled through the DashScope face.";
        var taskId = await CreateTaskAsync(body.ToJsonString());
        await WaitForPhaseAsync(taskId, "Generating");

        var canceled = await host.SendAsync(HttpMethod.Post, $"api/v1/tasks/{taskId}/cancel", bearer: true);
        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        Assert.Equal(["request_id"], JsonNode.Parse(await canceled.Content.ReadAsStringAsync())!.AsObject().Select(p => p.Key));

        var task = await WaitTaskEndedAsync(taskId);
        Assert.Equal(VaceJobErrorCodes.Canceled, (await WaitDoneAsync(taskId))["result"]!["errorCode"]!.GetValue<string>());
        Assert.Equal("CANCELED", task["task_status"]!.GetValue<string>());
        Assert.Matches(ServiceTime, task["submit_time"]!.GetValue<string>());
        Assert.Matches(ServiceTime, task["end_time"]!.GetValue<string>());

        foreach (var ended in new[] { taskId, "no-such-task" })
        {
            var refused = await host.SendAsync(HttpMethod.Post, $"api/v1/tasks/{ended}/cancel", bearer: true);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("UnsupportedOperation", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
        }
    }

    private const string CreatePath = "api/v1/services/aigc/video-generation/video-synthesis";

    private const string ServiceTime = @"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$";

    private async Task<string> CreateTaskAsync(string body, KeyValuePair<string, string>? header = null)
    {
        var response = await host.SendAsync(HttpMethod.Post, CreatePath, body, bearer: true, async: true, header: header);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, created.ToJsonString());
        return created["output"]!["task_id"]!.GetValue<string>();
    }

    /// <summary>The face's output for a task once it is neither PENDING nor RUNNING.</summary>
    private async Task<JsonNode> WaitTaskEndedAsync(string taskId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var output = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, $"api/v1/tasks/{taskId}", bearer: true)).Content.ReadAsStringAsync())!["output"]!;
            if (output["task_status"]!.GetValue<string>() is not ("PENDING" or "RUNNING"))
            {
                return output;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{taskId} not ended: {output.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Every job the list shows with this filter (<c>status=Failed</c>, <c>function=video_edit</c>), page by page.</summary>
    private async Task<List<JsonNode>> ListAllAsync(string filter)
    {
        var listed = new List<JsonNode>();
        string? token = null;
        do
        {
            var response = await host.SendAsync(HttpMethod.Get, $"api/jobs?{filter}&top=5" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            listed.AddRange(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(j => j!));
            token = response.Headers.TryGetValues("X-Continuation-Token", out var values) ? values.Single() : null;
        }
        while (token is not null);

        return listed;
    }

    private DurableTaskClient Client => host.Host.Services.GetRequiredService<DurableTaskClient>();

    private async Task<JsonNode> WaitDoneAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var response = await host.SendAsync(HttpMethod.Get, $"api/jobs/{id}");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return JsonNode.Parse(body)!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{id} not done: {body}");
            await Task.Delay(100);
        }
    }

    /// <summary>Keeps the simulator's tasks PENDING (cancelable) until disposed.</summary>
    private async Task WaitForRunningTaskAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var view = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, $"api/jobs/{id}")).Content.ReadAsStringAsync());
            if (view?["progress"]?["taskStatus"]?.GetValue<string>() == "RUNNING")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{id} never saw its task RUNNING");
            await Task.Delay(100);
        }
    }

    private async Task WaitForPhaseAsync(string id, string phase)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var view = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, $"api/jobs/{id}")).Content.ReadAsStringAsync());
            if (view?["progress"]?["phase"]?.GetValue<string>() == phase)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{id} never reached {phase}");
            await Task.Delay(100);
        }
    }

    /// <summary>No cross-origin request can be "simple": a body that is not JSON is 415 on every route, and starts nothing.</summary>
    [Theory]
    [InlineData("api/jobs", "text/plain")]
    [InlineData("api/jobs", "application/x-www-form-urlencoded")]
    [InlineData("api/jobs", "multipart/form-data; boundary=x")]
    [InlineData("api/v1/services/aigc/video-generation/video-synthesis", "text/plain")]
    [InlineData("api/jobs/http-text-plain/cancel", "application/x-www-form-urlencoded")]
    [InlineData("api/poison/some-id/redrive", "text/plain")]
    public async Task Post_WithABodyThatIsNotJson_Is415_AndStartsNothing(string path, string contentType)
    {
        var document = host.Sample("video_outpainting", "http-text-plain").ToJsonString();

        var response = await SendRawAsync(HttpMethod.Post, path, request =>
        {
            request.Content = new StringContent(document);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            request.Headers.Add("X-DashScope-Async", "enable");
        });

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/http-text-plain")).StatusCode);
    }

    [Fact]
    public async Task Post_WithAJsonBody_OfAnyJsonMediaType_IsTaken()
    {
        var response = await SendRawAsync(HttpMethod.Post, "api/jobs", request =>
        {
            request.Content = new StringContent("{ nope");
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, Action<HttpRequestMessage> adjust)
    {
        using var request = new HttpRequestMessage(method, path);
        adjust(request);
        return await host.Http.SendAsync(request);
    }
}
