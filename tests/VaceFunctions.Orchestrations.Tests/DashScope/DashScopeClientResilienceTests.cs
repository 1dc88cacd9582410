using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

/// <summary>The resilience pipeline of the registered client: delays, timeouts and what is retried, over scripted answers.</summary>
public class DashScopeClientResilienceTests
{
    private const string Pending = """{"request_id":"r","output":{"task_id":"t","task_status":"PENDING"}}""";

    [Fact]
    public async Task GetTask_ServiceUnavailableWithRetryAfter_WaitsAsAskedThenRetries()
    {
        var handler = new ScriptedHandler(_ => Unavailable(TimeSpan.FromSeconds(1)), _ => Answer(HttpStatusCode.OK, Pending));
        var watch = Stopwatch.StartNew();

        var task = await StubbedDashScope.Client(handler).GetTaskAsync("t");

        Assert.Equal(DashScopeTaskStatus.Pending, task.Output!.Status);
        Assert.Equal(2, handler.Calls);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {watch.Elapsed}");
    }

    [Fact]
    public async Task GetTask_RetryAfterBeyondMaxRetryDelay_WaitsOnlyTheMaximum()
    {
        var handler = new ScriptedHandler(_ => Unavailable(TimeSpan.FromMinutes(5)), _ => Answer(HttpStatusCode.OK, Pending));
        var watch = Stopwatch.StartNew();

        await StubbedDashScope.Client(handler, ("DashScope:MaxRetryDelay", "00:00:00.200")).GetTaskAsync("t");

        Assert.Equal(2, handler.Calls);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"retried after {watch.Elapsed}");
    }

    [Fact]
    public async Task GetTask_NoAnswerWithinTheAttemptTimeout_IsRetried()
    {
        var handler = new ScriptedHandler(NeverAnswer, _ => Answer(HttpStatusCode.OK, Pending));

        var task = await StubbedDashScope.Client(handler, ("DashScope:RequestTimeout", "00:00:01")).GetTaskAsync("t");

        Assert.Equal(DashScopeTaskStatus.Pending, task.Output!.Status);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task Submit_NoAnswerWithinTheAttemptTimeout_IsAmbiguousAndSentOnce()
    {
        var handler = new ScriptedHandler(NeverAnswer, _ => Answer(HttpStatusCode.OK, Pending));

        var error = await Assert.ThrowsAsync<DashScopeException>(
            () => StubbedDashScope.Client(handler, ("DashScope:RequestTimeout", "00:00:01")).SubmitAsync(new JsonObject()));

        Assert.Equal((DashScopeErrorCodes.NoResponse, true, false), (error.Code, error.TaskMayHaveBeenCreated, error.IsRetryable));
        Assert.Equal(1, handler.Calls);
    }

    [Theory]
    [InlineData("cut mid-body")]
    [InlineData("longer than the limit")]
    public async Task Answer_NotReadWhole_IsRetriedForReadsAndAmbiguousForSubmit(string defect)
    {
        var handler = new ScriptedHandler(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = defect == "cut mid-body" ? new CutContent() : new ByteArrayContent(new byte[DashScopeClient.MaxResponseBytes + 1]),
        }));

        var onGet = await Assert.ThrowsAsync<DashScopeException>(() => StubbedDashScope.Client(handler).GetTaskAsync("t"));
        Assert.Equal((DashScopeErrorCodes.NoResponse, true, false), (onGet.Code, onGet.IsRetryable, onGet.TaskMayHaveBeenCreated));
        Assert.Equal(2, handler.Calls);

        var onSubmit = await Assert.ThrowsAsync<DashScopeException>(() => StubbedDashScope.Client(handler).SubmitAsync(new JsonObject()));
        Assert.Equal((DashScopeErrorCodes.NoResponse, false, true), (onSubmit.Code, onSubmit.IsRetryable, onSubmit.TaskMayHaveBeenCreated));
        Assert.Equal(3, handler.Calls);
    }

    [Fact]
    public async Task CircuitOpen_CallsFailWithoutBeingSent()
    {
        var handler = new ScriptedHandler(_ => Unavailable(TimeSpan.Zero));
        var services = StubbedDashScope.Services(handler, ("DashScope:MaxRetries", "3"));
        services.Configure<HttpStandardResilienceOptions>(StubbedDashScope.ResilienceOptionsName, o => o.CircuitBreaker.MinimumThroughput = 2);
        var client = services.BuildServiceProvider().GetRequiredService<DashScopeClient>();

        var onGet = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));
        var onSubmit = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(new JsonObject()));

        Assert.Equal(2, handler.Calls);
        foreach (var error in new[] { onGet, onSubmit })
        {
            Assert.Equal((DashScopeErrorCodes.NotSent, true, false), (error.Code, error.IsRetryable, error.TaskMayHaveBeenCreated));
        }
    }

    [Fact]
    public async Task MaxRetriesZero_SendsEachCallOnce()
    {
        var handler = new ScriptedHandler(_ => Unavailable(TimeSpan.Zero));

        var error = await Assert.ThrowsAsync<DashScopeException>(() => StubbedDashScope.Client(handler, ("DashScope:MaxRetries", "0")).GetTaskAsync("t"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task Options_AtTheirLimits_MakeAValidPipeline()
    {
        var handler = new ScriptedHandler(_ => Answer(HttpStatusCode.OK, Pending));

        await StubbedDashScope.Client(
            handler,
            ("DashScope:MaxRetries", "20"),
            ("DashScope:RequestTimeout", "00:10:00"),
            ("DashScope:RetryDelay", "00:10:00"),
            ("DashScope:MaxRetryDelay", "00:10:00")).GetTaskAsync("t");

        Assert.Equal(1, handler.Calls);
    }

    private static Task<HttpResponseMessage> Answer(HttpStatusCode status, string body) =>
        Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });

    private static Task<HttpResponseMessage> Unavailable(TimeSpan retryAfter)
    {
        var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("") };
        response.Headers.RetryAfter = new RetryConditionHeaderValue(retryAfter);
        return Task.FromResult(response);
    }

    private static async Task<HttpResponseMessage> NeverAnswer(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new UnreachableException();
    }

    /// <summary>Answers call N with the Nth script, the last one repeating.</summary>
    private sealed class ScriptedHandler(params Func<CancellationToken, Task<HttpResponseMessage>>[] answers) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            return answers[Math.Min(call, answers.Length) - 1](cancellationToken);
        }
    }

    /// <summary>A body whose connection breaks after its first bytes.</summary>
    private sealed class CutContent : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("""{"request_id":"""u8.ToArray());
            throw new IOException("The connection was reset.");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
