using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

/// <summary>
/// Every documented error, answered by a stub handler (a unit test of the client's mapping alone; the
/// simulator tests cover the same paths over real HTTP).
/// </summary>
public class DashScopeClientErrorMappingTests
{
    [Theory]
    [InlineData(400, "InvalidParameter", false)]
    [InlineData(400, "DataInspectionFailed", false)]
    [InlineData(400, "InvalidURL", false)]
    [InlineData(400, "Arrearage", false)]
    [InlineData(400, "UnsupportedOperation", false)]
    [InlineData(401, "InvalidApiKey", false)]
    [InlineData(403, "AccessDenied", false)]
    [InlineData(404, "ModelNotFound", false)]
    [InlineData(429, "Throttling", true)]
    [InlineData(429, "Throttling.RateQuota", true)]
    [InlineData(429, "Throttling.AllocationQuota", true)]
    [InlineData(500, "InternalError", true)]
    [InlineData(500, "InternalServerError", true)]
    [InlineData(503, "ServiceUnavailable", true)]
    public async Task Error_ServiceErrorBody_IsMappedWithItsCodeAndRetryability(int status, string code, bool retryable)
    {
        var handler = new StubHandler((HttpStatusCode)status, $$"""{"request_id":"r-1","code":"{{code}}","message":"m"}""");

        var onGet = await Assert.ThrowsAsync<DashScopeException>(() => Client(handler).GetTaskAsync("t"));
        var onSubmit = await Assert.ThrowsAsync<DashScopeException>(() => Client(handler).SubmitAsync(new JsonObject()));

        foreach (var error in new[] { onGet, onSubmit })
        {
            Assert.Equal((code, (HttpStatusCode)status, "r-1", "m"), (error.Code, error.StatusCode, error.RequestId, error.ServiceMessage));
            Assert.Equal(retryable, error.IsRetryable);
            Assert.False(error.TaskMayHaveBeenCreated);
        }

        Assert.Equal(retryable ? 2 + 2 : 1 + 1, handler.Calls);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(504)]
    public async Task Error_BareGatewayAnswer_IsRetriedForReadsButAmbiguousForSubmit(int status)
    {
        var handler = new StubHandler((HttpStatusCode)status, "<html>gateway</html>");

        var onGet = await Assert.ThrowsAsync<DashScopeException>(() => Client(handler).GetTaskAsync("t"));
        Assert.Equal(($"Http{status}", true, false), (onGet.Code, onGet.IsRetryable, onGet.TaskMayHaveBeenCreated));
        Assert.Equal(2, handler.Calls);

        var onSubmit = await Assert.ThrowsAsync<DashScopeException>(() => Client(handler).SubmitAsync(new JsonObject()));
        Assert.Equal((false, true), (onSubmit.IsRetryable, onSubmit.TaskMayHaveBeenCreated));
        Assert.Equal(3, handler.Calls);
    }

    [Fact]
    public async Task Success_WithAnUndocumentedBody_IsAnInvalidResponse()
    {
        var handler = new StubHandler(HttpStatusCode.OK, "not json");

        var onSubmit = await Assert.ThrowsAsync<DashScopeException>(() => Client(handler).SubmitAsync(new JsonObject()));
        Assert.Equal((DashScopeErrorCodes.InvalidResponse, true), (onSubmit.Code, onSubmit.TaskMayHaveBeenCreated));

        var noTaskId = new StubHandler(HttpStatusCode.OK, """{"request_id":"r","output":{"task_status":"PENDING"}}""");
        var missing = await Assert.ThrowsAsync<DashScopeException>(() => Client(noTaskId).SubmitAsync(new JsonObject()));
        Assert.Equal((DashScopeErrorCodes.InvalidResponse, true), (missing.Code, missing.TaskMayHaveBeenCreated));
    }

    [Theory]
    [InlineData("PENDING", DashScopeTaskStatus.Pending)]
    [InlineData("RUNNING", DashScopeTaskStatus.Running)]
    [InlineData("SUSPENDED", DashScopeTaskStatus.Suspended)]
    [InlineData("SUCCEEDED", DashScopeTaskStatus.Succeeded)]
    [InlineData("FAILED", DashScopeTaskStatus.Failed)]
    [InlineData("CANCELED", DashScopeTaskStatus.Canceled)]
    [InlineData("CANCELLED", DashScopeTaskStatus.Canceled)]
    [InlineData("UNKNOWN", DashScopeTaskStatus.Unknown)]
    [InlineData("SOMETHING_NEW", DashScopeTaskStatus.Unrecognized)]
    public async Task GetTask_EveryStatusSpelling_IsParsed(string wire, DashScopeTaskStatus expected)
    {
        var handler = new StubHandler(HttpStatusCode.OK, $$$"""{"request_id":"r","output":{"task_id":"t","task_status":"{{{wire}}}"}}""");

        Assert.Equal(expected, (await Client(handler).GetTaskAsync("t")).Output!.Status);
    }

    [Fact]
    public async Task Requests_CarryTheKeyAndTheAsyncHeaderOnlyOnSubmit()
    {
        var handler = new StubHandler(HttpStatusCode.OK, """{"request_id":"r","output":{"task_id":"t","task_status":"PENDING"}}""");

        await Client(handler).SubmitAsync(new JsonObject { ["model"] = "m" });
        await Client(handler).GetTaskAsync("t/../x");

        var (submit, get) = (handler.Requests[0], handler.Requests[1]);
        Assert.Equal("Bearer sk-unit", submit.Authorization);
        Assert.Equal("enable", submit.AsyncHeader);
        Assert.Equal("/api/v1/services/aigc/video-generation/video-synthesis", submit.Path);
        Assert.Equal("""{"model":"m"}""", submit.Body);
        Assert.Null(get.AsyncHeader);
        Assert.Equal("/api/v1/tasks/t%2F..%2Fx", get.Path);
    }

    private static DashScopeClient Client(StubHandler handler) => StubbedDashScope.Client(handler);

    private sealed record SeenRequest(string Path, string? Authorization, string? AsyncHeader, string? Body);

    private sealed class StubHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public int Calls => Requests.Count;

        public List<SeenRequest> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(new SeenRequest(
                request.RequestUri!.AbsolutePath,
                request.Headers.Authorization?.ToString(),
                request.Headers.TryGetValues(DashScopeClient.AsyncHeader, out var values) ? values.Single() : null,
                request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken)));
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8) };
        }
    }
}
