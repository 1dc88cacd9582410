using System.Net;
using VaceFunctions.Local.Tests.Operations;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>The HTTP API while storage accepts connections and never answers (Azurite stalled under load).</summary>
public sealed class StorageStallTests
{
    [Fact]
    public async Task ListJobs_StorageStalled_Answers503WithRetryAfter_InsteadOfWaitingOnTheStorageTimeouts()
    {
        // The storage SDK would hold the stalled call 100 s a try, and try again: far past the client's timeout.
        await using var host = await ProxiedHost.StartAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("api/jobs")).StatusCode);
        host.Proxy.Set(StorageProxy.Mode.Stall);

        var response = await host.Http.GetAsync("api/jobs");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(JobsApi.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);

        host.Proxy.Set(StorageProxy.Mode.Forward);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("api/jobs")).StatusCode);
    }
}
