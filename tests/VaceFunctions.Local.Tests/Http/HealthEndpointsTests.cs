using System.Net;
using System.Text.Json.Nodes;
using VaceFunctions.Local.Tests.Operations;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>/healthz and /readyz of the embedded host, on Azurite (through a proxy a test can cut) and the simulator.</summary>
public sealed class HealthEndpointsTests(HttpHostFixture host) : IClassFixture<HttpHostFixture>
{
    [Fact]
    public async Task Healthz_AnswersEveryCallerWithoutAKey()
    {
        var response = await host.SendAsync(HttpMethod.Get, "healthz", key: null, header: HttpHostFixture.Proxied);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Readyz_EverythingUp_Answers200WithEachCheck_AndNoEndpointOrKey()
    {
        var response = await host.SendAsync(HttpMethod.Get, "readyz", key: null, header: HttpHostFixture.Proxied);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = JsonNode.Parse(body)!["checks"]!.AsObject();
        Assert.Equal(["dashscope", "storage", "taskhub"], checks.Select(c => c.Key).Order());
        Assert.All(checks, c => Assert.Equal("Healthy", c.Value!["status"]!.GetValue<string>()));
        AssertRevealsNothing(body);
    }

    [Fact]
    public async Task Readyz_AFloodOfProbes_AsksDashScopeAtMostOnce_AndAllAnswer()
    {
        var before = host.Simulator.State.Counters().ApiRequests;

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => host.SendAsync(HttpMethod.Get, "readyz", key: null, header: HttpHostFixture.Proxied)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        // Within the check's 10 s cache: one question at most (none when an earlier test's answer is still fresh).
        Assert.InRange(host.Simulator.State.Counters().ApiRequests - before, 0, 1);
    }

    [Theory]
    [InlineData(StorageProxy.Mode.Refuse)]
    [InlineData(StorageProxy.Mode.Stall)]
    public async Task Readyz_StorageUnreachableOrStalled_Answers503NamingStorage_WithinTheChecksTimeout(StorageProxy.Mode mode)
    {
        // A readiness answer that waited on the stalled storage would run past the client's timeout.
        await using var proxied = await ProxiedHost.StartAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await proxied.Http.GetAsync("readyz")).StatusCode);
        proxied.Proxy.Set(mode);

        var response = await proxied.Http.GetAsync("readyz");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var checks = JsonNode.Parse(body)!["checks"]!;
        Assert.Equal("Unhealthy", checks["storage"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", checks["dashscope"]!["status"]!.GetValue<string>());
        AssertRevealsNothing(body);
        Assert.Equal(HttpStatusCode.OK, (await proxied.Http.GetAsync("healthz")).StatusCode);
    }

    private static void AssertRevealsNothing(string body)
    {
        foreach (var secret in new[] { TestSettings.SimulatorKey, "AccountKey", "devstoreaccount1", "127.0.0.1", "http" })
        {
            Assert.DoesNotContain(secret, body, StringComparison.OrdinalIgnoreCase);
        }
    }
}
