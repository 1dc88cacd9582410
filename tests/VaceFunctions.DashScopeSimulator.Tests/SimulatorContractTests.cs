using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.DashScopeSimulator.Tests;

/// <summary>
/// The simulator speaks the documented contract: these tests talk to it over real HTTP with a plain
/// HttpClient and pin field names, time format, status values and error bodies to the documentation.
/// </summary>
public sealed class SimulatorContractTests : IAsyncLifetime
{
    private const string CreatePath = "api/v1/services/aigc/video-generation/video-synthesis";
    private const string TimePattern = @"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$";

    private readonly ManualClock _clock = new();
    private RunningSimulator _simulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(
            o =>
            {
                o.PendingDuration = TimeSpan.FromSeconds(10);
                o.RunningDuration = TimeSpan.FromSeconds(60);
                o.SubmissionsPerSecond = 0;
                o.MaxConcurrentTasks = 0;
            },
            _clock);
        _http = new HttpClient { BaseAddress = _simulator.BaseUrl };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Create_DocumentedRequest_AnswersRequestIdAndAPendingTask()
    {
        var (status, body) = await CreateAsync(Sample("video_edit"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["output", "request_id"], Keys(body));
        Assert.Equal(["task_id", "task_status"], Keys(body["output"]!));
        Assert.Equal("PENDING", body["output"]!["task_status"]!.GetValue<string>());
        Assert.True(Guid.TryParse(body["output"]!["task_id"]!.GetValue<string>(), out _));
    }

    [Fact]
    public async Task Query_TaskLifecycle_GoesPendingRunningSucceededWithTheDocumentedFields()
    {
        var taskId = await CreateTaskAsync(Sample("video_outpainting"));

        var pending = await QueryAsync(taskId);
        Assert.Equal("PENDING", Status(pending));
        Assert.Equal(["task_id", "task_status", "submit_time"], Keys(pending["output"]!, ordered: false));

        _clock.Advance(TimeSpan.FromSeconds(10));
        var running = await QueryAsync(taskId);
        Assert.Equal("RUNNING", Status(running));
        Assert.Equal(["scheduled_time", "submit_time", "task_id", "task_status"], Keys(running["output"]!));

        _clock.Advance(TimeSpan.FromSeconds(60));
        var succeeded = await QueryAsync(taskId);
        Assert.Equal("SUCCEEDED", Status(succeeded));
        Assert.Equal(["output", "request_id", "usage"], Keys(succeeded));
        Assert.Equal(["end_time", "scheduled_time", "submit_time", "task_id", "task_status", "video_url"], Keys(succeeded["output"]!));
        Assert.Equal(["video_count", "video_duration", "video_ratio"], Keys(succeeded["usage"]!));
        foreach (var time in new[] { "submit_time", "scheduled_time", "end_time" })
        {
            Assert.Matches(TimePattern, succeeded["output"]![time]!.GetValue<string>());
        }

        Assert.Equal("2026-03-18 09:38:24.817", succeeded["output"]!["submit_time"]!.GetValue<string>());
        Assert.Equal("2026-03-18 09:39:34.817", succeeded["output"]!["end_time"]!.GetValue<string>());
        Assert.Equal(1, succeeded["usage"]!["video_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Query_UnknownTaskId_Answers200Unknown()
    {
        var response = await SendAsync(HttpMethod.Get, "api/v1/tasks/no-such-task");
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("UNKNOWN", Status(body));
        Assert.Equal("no-such-task", body["output"]!["task_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Query_TaskOlderThan24Hours_IsUnknown()
    {
        var taskId = await CreateTaskAsync(Sample("video_extension"));

        _clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));

        Assert.Equal("UNKNOWN", Status(await QueryAsync(taskId)));
    }

    [Fact]
    public async Task Create_WithoutAsyncHeader_IsRefusedAsTheServiceDoes()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, CreatePath) { Content = JsonBody(Sample("video_edit")) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-simulator");

        var response = await _http.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        Assert.Equal(0, _simulator.State.Counters().TasksCreated);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer sk-wrong")]
    [InlineData("sk-simulator")]
    public async Task AnyCall_WithoutTheKey_Is401InvalidApiKey(string? authorization)
    {
        foreach (var (method, path) in new[] { (HttpMethod.Post, CreatePath), (HttpMethod.Get, "api/v1/tasks/x"), (HttpMethod.Post, "api/v1/tasks/x/cancel") })
        {
            using var request = new HttpRequestMessage(method, path) { Content = JsonBody(Sample("video_edit")) };
            request.Headers.Add("X-DashScope-Async", "enable");
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            await AssertErrorAsync(await _http.SendAsync(request), HttpStatusCode.Unauthorized, "InvalidApiKey");
        }
    }

    [Theory]
    [InlineData("both masks", HttpStatusCode.BadRequest, "InvalidParameter")]
    [InlineData("no model", HttpStatusCode.BadRequest, "InvalidParameter")]
    [InlineData("unknown model", HttpStatusCode.NotFound, "ModelNotFound")]
    [InlineData("not json", HttpStatusCode.BadRequest, "InvalidParameter")]
    public async Task Create_InvalidRequest_AnswersTheServiceError(string defect, HttpStatusCode status, string code)
    {
        var body = Sample("video_edit");
        switch (defect)
        {
            case "both masks": body["input"]!["mask_video_url"] = "https://example.com/m.mp4"; break;
            case "no model": body.Remove("model"); break;
            case "unknown model": body["model"] = "wan2.2-vace-max"; break;
        }

        var content = defect == "not json" ? new StringContent("{\"model\":", Encoding.UTF8, "application/json") : JsonBody(body);
        var response = await SendAsync(HttpMethod.Post, CreatePath, content);

        var error = await AssertErrorAsync(response, status, code);
        if (defect == "both masks")
        {
            Assert.Contains("input.mask_video_url", error["message"]!.GetValue<string>());
        }

        Assert.Equal(0, _simulator.State.Counters().TasksCreated);
    }

    [Fact]
    public async Task Cancel_PendingTask_CancelsIt_AndARunningOneIsUnsupported()
    {
        var pending = await CreateTaskAsync(Sample("video_edit"));
        var cancel = await SendAsync(HttpMethod.Post, $"api/v1/tasks/{pending}/cancel");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(["request_id"], Keys(await JsonAsync(cancel)));
        Assert.Equal("CANCELED", Status(await QueryAsync(pending)));

        var running = await CreateTaskAsync(Sample("video_repainting"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        await AssertErrorAsync(await SendAsync(HttpMethod.Post, $"api/v1/tasks/{running}/cancel"), HttpStatusCode.BadRequest, "UnsupportedOperation");
        Assert.Equal("RUNNING", Status(await QueryAsync(running)));
    }

    [Fact]
    public async Task Video_IsTheSampleMp4_WithRangesAndAnExpiry()
    {
        var url = await SucceededVideoUrlAsync();

        var full = await _http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("video/mp4", full.Content.Headers.ContentType!.MediaType);
        var bytes = await full.Content.ReadAsByteArrayAsync();
        Assert.Equal(SampleVideo.Bytes.ToArray(), bytes);
        Assert.Equal("ftyp", Encoding.ASCII.GetString(bytes, 4, 4));

        using var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new RangeHeaderValue(100, 199);
        var part = await _http.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(bytes[100..200], await part.Content.ReadAsByteArrayAsync());

        var tampered = url.Replace("Signature=", "Signature=0", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.GetAsync(tampered)).StatusCode);

        _clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var expired = await _http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Video_LargeOutput_IsTheSamplePaddedWithAFreeBox()
    {
        _simulator.Options.OutputSizeBytes = 8L * 1024 * 1024;
        var url = await SucceededVideoUrlAsync();

        var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        var bytes = await response.Content.ReadAsByteArrayAsync();

        var sample = SampleVideo.Bytes.ToArray();
        Assert.Equal(8L * 1024 * 1024, bytes.Length);
        Assert.Equal(sample, bytes[..sample.Length]);
        Assert.Equal("free", Encoding.ASCII.GetString(bytes, sample.Length + 4, 4));
        Assert.All(bytes[(sample.Length + 16)..], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("sample-input.mp4", "video/mp4", "ftyp")]
    [InlineData("sample-image.png", "image/png", "PNG\r")]
    public async Task Media_SampleInputs_AreServedWithRanges(string name, string contentType, string magic)
    {
        var full = await _http.GetAsync($"media/{name}");
        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"media/{name}");
        ranged.Headers.Range = new RangeHeaderValue(0, 7);
        var head = await _http.SendAsync(ranged);

        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(contentType, full.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.PartialContent, head.StatusCode);
        Assert.Contains(magic, Encoding.ASCII.GetString(await head.Content.ReadAsByteArrayAsync()), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("media/other.mp4")).StatusCode);
    }

    [Fact]
    public async Task Faults_FailedTasks_CarryTheCodeAndMessageButNoVideo()
    {
        _simulator.State.Faults = new SimulatorFaults { FailTasksWithCode = "DataInspectionFailed" };
        var taskId = await CreateTaskAsync(Sample("image_reference"));
        _clock.Advance(TimeSpan.FromSeconds(70));

        var failed = await QueryAsync(taskId);

        Assert.Equal("FAILED", Status(failed));
        Assert.Equal("DataInspectionFailed", failed["output"]!["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(failed["output"]!["message"]!.GetValue<string>()));
        Assert.Null(failed["output"]!["video_url"]);
        Assert.Null(failed["usage"]);
    }

    [Fact]
    public async Task Faults_Bursts_AreConsumedOneCallAtATime()
    {
        _simulator.State.Faults = new SimulatorFaults { ServerErrors = 1, GatewayErrors = 1, Throttles = 1 };

        var gateway = await SendAsync(HttpMethod.Get, "api/v1/tasks/x");
        Assert.Equal(HttpStatusCode.BadGateway, gateway.StatusCode);
        Assert.Equal("text/html", gateway.Content.Headers.ContentType!.MediaType);
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, "api/v1/tasks/x"), HttpStatusCode.InternalServerError, "InternalError");
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, "api/v1/tasks/x"), HttpStatusCode.TooManyRequests, "Throttling");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "api/v1/tasks/x")).StatusCode);
        Assert.Equal(3, _simulator.State.Counters().FaultsInjected);
    }

    [Fact]
    public async Task Faults_DroppedConnection_GivesNoAnswer_AndDropAfterCreateStillCreates()
    {
        _simulator.State.Faults = new SimulatorFaults { DroppedConnections = 1 };
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(HttpMethod.Post, CreatePath, JsonBody(Sample("video_edit"))));
        Assert.Equal(0, _simulator.State.Counters().TasksCreated);

        _simulator.State.Faults = new SimulatorFaults { DropAfterCreate = 1 };
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(HttpMethod.Post, CreatePath, JsonBody(Sample("video_edit"))));
        Assert.Equal(1, _simulator.State.Counters().TasksCreated);
    }

    [Fact]
    public async Task Faults_StuckTasks_NeverLeaveRunning()
    {
        _simulator.State.Faults = new SimulatorFaults { StuckInRunning = true };
        var taskId = await CreateTaskAsync(Sample("video_edit"));

        _clock.Advance(TimeSpan.FromHours(23));

        Assert.Equal("RUNNING", Status(await QueryAsync(taskId)));
    }

    [Fact]
    public async Task Admin_CountersAndFaults_AreServedOverHttp()
    {
        var taskId = await CreateTaskAsync(Sample("video_edit"));
        await QueryAsync(taskId);
        await QueryAsync(taskId);

        var put = await _http.PutAsync("admin/faults", new StringContent("{\"throttles\": 2}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(2, _simulator.State.Faults.Throttles);

        var counters = JsonNode.Parse(await _http.GetStringAsync("admin/counters"))!;
        Assert.Equal(1, counters["tasksCreated"]!.GetValue<int>());
        Assert.Equal(2, counters["pollsByTask"]![taskId]!.GetValue<int>());
        Assert.Single(counters["tasksByBody"]!.AsObject());

        Assert.Equal(HttpStatusCode.NoContent, (await _http.PostAsync("admin/reset", null)).StatusCode);
        Assert.Equal(0, _simulator.State.Counters().TasksCreated);
        Assert.Equal(0, _simulator.State.Faults.Throttles);
    }

    private async Task<string> SucceededVideoUrlAsync()
    {
        var taskId = await CreateTaskAsync(Sample("video_edit"));
        _clock.Advance(TimeSpan.FromSeconds(70));
        return (await QueryAsync(taskId))["output"]!["video_url"]!.GetValue<string>();
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> CreateAsync(JsonObject body)
    {
        var response = await SendAsync(HttpMethod.Post, CreatePath, JsonBody(body));
        return (response.StatusCode, await JsonAsync(response));
    }

    private async Task<string> CreateTaskAsync(JsonObject body)
    {
        var (status, created) = await CreateAsync(body);
        Assert.Equal(HttpStatusCode.OK, status);
        return created["output"]!["task_id"]!.GetValue<string>();
    }

    private async Task<JsonNode> QueryAsync(string taskId) => await JsonAsync(await SendAsync(HttpMethod.Get, $"api/v1/tasks/{taskId}"));

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-simulator");
        request.Headers.Add("X-DashScope-Async", "enable");
        return await _http.SendAsync(request);
    }

    private static async Task<JsonNode> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal(["code", "message", "request_id"], Keys(body));
        Assert.Equal(code, body["code"]!.GetValue<string>());
        return body;
    }

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static string Status(JsonNode body) => body["output"]!["task_status"]!.GetValue<string>();

    private static string[] Keys(JsonNode node, bool ordered = true)
    {
        var keys = node.AsObject().Select(p => p.Key);
        return ordered ? keys.Order(StringComparer.Ordinal).ToArray() : keys.ToArray();
    }

    private static StringContent JsonBody(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static JsonObject Sample(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", name + ".json")))!.AsObject();
}
