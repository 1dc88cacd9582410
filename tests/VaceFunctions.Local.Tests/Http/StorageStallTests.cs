using System.Net;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Local.Tests.Operations;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>The HTTP API while storage accepts connections and never answers (Azurite stalled under load).</summary>
public sealed class StorageStallTests
{
    [Fact]
    public async Task ListJobs_StorageStalled_Answers503WithRetryAfter_InsteadOfWaitingOnTheStorageTimeouts()
    {
        await using var simulator = await SimulatorHost.StartAsync();
        var settings = await HostTestSupport.SettingsAsync(simulator);
        await using var proxy = StorageProxy.Start(settings["AzureWebJobsStorage"]!);
        settings["AzureWebJobsStorage"] = proxy.ConnectionString;
        await using var app = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], settings);
        await app.StartAsync();

        // The storage SDK would hold the stalled call 100 s a try, and try again: far past this.
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/jobs")).StatusCode);
            proxy.Set(StorageProxy.Mode.Stall);

            var response = await http.GetAsync("api/jobs");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(JobsApi.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);

            proxy.Set(StorageProxy.Mode.Forward);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/jobs")).StatusCode);
        }
        finally
        {
            proxy.Set(StorageProxy.Mode.Forward);
            await app.StopAsync();
        }
    }
}
