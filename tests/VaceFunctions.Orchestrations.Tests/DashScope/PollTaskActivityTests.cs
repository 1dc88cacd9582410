using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

/// <summary>One poll over the client as the hosts build it: passing trouble is an outage the job waits out, a permanent answer is not.</summary>
public class PollTaskActivityTests
{
    [Theory]
    [InlineData(500, """{"code":"InternalError","message":"busy"}""", "InternalError: busy")]
    [InlineData(503, """{"code":"ServiceUnavailable","message":"later"}""", "ServiceUnavailable: later")]
    [InlineData(429, """{"code":"Throttling","message":"slow down"}""", "Throttling: slow down")]
    public async Task Poll_ServiceOutOfReach_IsAnOutageNotAFailure(int status, string body, string outage)
    {
        var activity = Activity(_ => new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });

        var result = await activity.RunAsync("task-1", CancellationToken.None);

        Assert.Equal(outage, result.Outage);
        Assert.False(result.HasVideo);
    }

    [Fact]
    public async Task Poll_ConnectionRefused_IsAnOutage()
    {
        var activity = Activity(_ => throw new HttpRequestException("Connection refused", new System.Net.Sockets.SocketException(111)));

        var result = await activity.RunAsync("task-1", CancellationToken.None);

        Assert.NotNull(result.Outage);
    }

    [Fact]
    public async Task Poll_PermanentAnswer_IsThrown()
    {
        var activity = Activity(_ => new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new StringContent("""{"code":"InvalidApiKey","message":"bad key"}""", Encoding.UTF8, "application/json") });

        var error = await Assert.ThrowsAsync<DashScopeException>(() => activity.RunAsync("task-1", CancellationToken.None));

        Assert.Equal("InvalidApiKey", error.Code);
    }

    [Fact]
    public async Task Poll_Answer_IsTheTaskStatusWithoutAnOutage()
    {
        var activity = Activity(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("""{"request_id":"r","output":{"task_id":"task-1","task_status":"RUNNING"}}""", Encoding.UTF8, "application/json"),
        });

        var result = await activity.RunAsync("task-1", CancellationToken.None);

        Assert.Equal((DashScopeTaskStatus.Running, null), (result.Status, result.Outage));
    }

    [Fact]
    public async Task Poll_Succeeded_SaysThereIsAVideo_ButItsSignedUrlStaysOutOfTheRecord()
    {
        const string url = "https://dashscope-result.oss-accelerate.aliyuncs.com/1/task-1.mp4?Expires=1&OSSAccessKeyId=k&Signature=s%3D";
        var activity = Activity(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(
                $$$"""{"request_id":"r","output":{"task_id":"task-1","task_status":"SUCCEEDED","video_url":"{{{url}}}"},"usage":{"video_count":1,"video_duration":5,"video_ratio":"1280*720"}}""",
                Encoding.UTF8,
                "application/json"),
        });

        var result = await activity.RunAsync("task-1", CancellationToken.None);

        Assert.Equal((DashScopeTaskStatus.Succeeded, true), (result.Status, result.HasVideo));
        Assert.Equal(5, result.Usage!.VideoDuration);

        // What the task hub keeps of the poll: its output, serialized as the engine does.
        var kept = WorkflowJson.DataConverter.Serialize(result)!;
        Assert.DoesNotContain("Signature", kept, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("aliyuncs", kept, StringComparison.Ordinal);
    }

    private static PollTaskActivity Activity(Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        var services = StubbedDashScope.Services(new Answering(answer), ("DashScope:MaxRetries", "0")).BuildServiceProvider();
        return new(services.GetRequiredService<DashScopeClient>(), services.GetRequiredService<VaceTelemetry>(), NullLogger<PollTaskActivity>.Instance);
    }

    private sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer(request));
    }
}
