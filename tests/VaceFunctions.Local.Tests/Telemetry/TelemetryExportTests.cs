using System.Text;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Local.Tests.Telemetry;

/// <summary>A real job on Azurite and the simulator, its telemetry exported by OTLP/HTTP to a receiver the test runs.</summary>
public sealed class TelemetryExportTests : IAsyncLifetime
{
    private readonly Dictionary<string, string?> _settings = [];
    private RunningSimulator _simulator = null!;
    private OtlpReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
        });
        _receiver = await OtlpReceiver.StartAsync();
        foreach (var (key, value) in await HostTestSupport.SettingsAsync(_simulator))
        {
            _settings[key] = value;
        }

        _settings[VaceTelemetryExport.OtlpEndpointKey] = _receiver.Endpoint;
        _settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        _settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        _settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task BlobJob_CarryingATraceparent_IsOneTraceFromIntakeToManifest_WithItsMetrics_AndNoSecret()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string callerSpan = "00f067aa0ba902b7";
        var blobs = new BlobServiceClient(_settings["AzureWebJobsStorage"]);
        var inbox = blobs.GetBlobContainerClient(_settings["Vace:Inbox:Container"]);
        await inbox.CreateIfNotExistsAsync();
        await inbox.GetBlobClient("traced/clip.mp4").UploadAsync(BinaryData.FromBytes(SampleVideo.Input("sample-input.mp4")!.Value.Bytes));
        await inbox.GetBlobClient("traced/mask.png").UploadAsync(BinaryData.FromBytes(SampleVideo.Input("sample-image.png")!.Value.Bytes));
        var document = SampleDocuments.Load("video_edit");
        document["id"] = "traced-1";
        document["input"]!["video_url"] = "clip.mp4";
        document["input"]!["mask_image_url"] = "mask.png";
        document["traceparent"] = $"00-{traceId}-{callerSpan}-01";

        await using (var host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], _settings))
        {
            await host.StartAsync();
            await inbox.GetBlobClient("traced/job.json").UploadAsync(BinaryData.FromString(document.ToJsonString()));
            var result = await HostTestSupport.WaitForJobAsync(host.Services, "traced-1");
            Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");

            // Two metric exports after the job, so the slots gauge has been read with storage still there.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        }

        // Disposing the host flushed both providers.
        var spans = _receiver.Spans().Where(s => s.TraceId == traceId).ToList();
        var names = spans.Select(s => s.Name).ToHashSet();
        foreach (var step in new[] { "vace.intake", "vace.probe", "vace.acquire_slot", "vace.submit", "vace.poll", "vace.release_slot", "vace.copy", "vace.manifest" })
        {
            Assert.Contains(step, names);
        }

        Assert.Contains(names, n => n.StartsWith("orchestration:VaceJob", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("activity:SubmitTask", StringComparison.Ordinal));

        // The DashScope calls and the copy's download are HTTP spans of the same trace, their URLs without queries.
        var http = spans.Where(s => s.Attributes.ContainsKey("url.full")).Select(s => s.Attributes["url.full"]).ToList();
        Assert.Contains(http, u => u.EndsWith("/api/v1/services/aigc/video-generation/video-synthesis", StringComparison.Ordinal));
        Assert.Contains(http, u => u.Contains("/api/v1/tasks/", StringComparison.Ordinal));
        Assert.Contains(http, u => u.Contains("/traced/clip.mp4", StringComparison.Ordinal));
        Assert.All(http, u => Assert.DoesNotContain("?", u, StringComparison.Ordinal));

        // One trace: the intake continues the document's caller, and every other span's parent is in the trace.
        var intake = spans.Single(s => s.Name == "vace.intake");
        Assert.Equal(callerSpan, intake.ParentSpanId);
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        Assert.All(spans.Where(s => s != intake), s => Assert.True(s.ParentSpanId is not null && ids.Contains(s.ParentSpanId), $"{s.Name}'s parent {s.ParentSpanId} is not in the trace"));

        // The job id, function, task id and outcome are attributes.
        Assert.Equal(("traced-1", "video_edit", "Started"), (intake.Attributes[VaceTelemetry.JobIdTag], intake.Attributes[VaceTelemetry.FunctionTag], intake.Attributes[VaceTelemetry.IntakeStatusTag]));
        var manifest = spans.Single(s => s.Name == "vace.manifest");
        var taskId = spans.Single(s => s.Name == "vace.submit").Attributes[VaceTelemetry.TaskIdTag];
        Assert.Equal(("traced-1", "video_edit", taskId, "Succeeded"),
            (manifest.Attributes[VaceTelemetry.JobIdTag], manifest.Attributes[VaceTelemetry.FunctionTag], manifest.Attributes[VaceTelemetry.TaskIdTag], manifest.Attributes[VaceTelemetry.OutcomeTag]));
        Assert.Equal(taskId, spans.First(s => s.Name == "vace.copy").Attributes[VaceTelemetry.TaskIdTag]);

        var metrics = _receiver.MetricNames();
        foreach (var metric in new[]
        {
            "vace.jobs.started", "vace.jobs.finished", "vace.job.duration", "vace.slot.wait", "vace.model.duration",
            "vace.copy.bytes", "vace.copy.throughput", "vace.dashscope.calls", "vace.slots.in_use",
        })
        {
            Assert.Contains(metric, metrics);
        }

        // Neither the API key nor any signature (a blob SAS's sig=, the result URL's Signature=) was exported.
        var exported = string.Join("\n", _receiver.AllBodies.Select(b => Encoding.UTF8.GetString(b)));
        Assert.DoesNotContain(TestSettings.SimulatorKey, exported, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", exported, StringComparison.Ordinal);
        Assert.DoesNotContain("Signature=", exported, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpJob_WithATraceparentHeader_ContinuesTheCallersTrace_AndTheConsoleKeyWritesItToTheConsole()
    {
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        _settings[VaceTelemetryExport.ConsoleKey] = "true";
        var console = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(TextWriter.Synchronized(console));
        try
        {
            await using var host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], _settings);
            await host.StartAsync();
            var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_outpainting"), _simulator.BaseUrl);
            document["id"] = "traced-http";
            // A caller elsewhere: this process's own tracing does not replace its traceparent.
            using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri(host.Urls.Single()) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = new StringContent(document.ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await http.SendAsync(request)).StatusCode);
            Assert.True((await HostTestSupport.WaitForJobAsync(host.Services, "traced-http")).Succeeded);

            // The console's metrics are exported on the reader's interval: flush until the job's counter is written
            // (one flush at the host's disposal alone was not always enough under load).
            var meters = host.Services.GetRequiredService<MeterProvider>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!console.ToString().Contains("vace.jobs.finished", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                meters.ForceFlush(5_000);
                await Task.Delay(200);
            }
        }
        finally
        {
            Console.SetOut(previous);
        }

        // The POST's server span continues the header's trace, and the job's steps continue the POST.
        var spans = _receiver.Spans().Where(s => s.TraceId == traceId).ToList();
        Assert.Equal("b7ad6b7169203331", spans.Single(s => s.Name.StartsWith("POST /api/jobs", StringComparison.Ordinal)).ParentSpanId);
        Assert.Contains(spans, s => s.Name == "vace.intake" && s.Attributes[VaceTelemetry.SourceTag] == "Http");
        Assert.Contains(spans, s => s.Name == "vace.manifest" && s.Attributes[VaceTelemetry.OutcomeTag] == "Succeeded");
        var written = console.ToString();
        Assert.Contains(traceId, written, StringComparison.Ordinal);
        Assert.Contains("vace.manifest", written, StringComparison.Ordinal);
        Assert.Contains("vace.jobs.finished", written, StringComparison.Ordinal);
    }
}
