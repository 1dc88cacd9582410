using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Health;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.Health;

/// <summary>
/// The DashScope readiness check against a real socket server that fails every request: a flood of probes asks the
/// service once, and the workflow's own DashScope client and its circuit breaker never hear of them.
/// </summary>
public sealed class DashScopeHealthCheckTests
{
    [Fact]
    public void CacheDuration_Is10Seconds() => Assert.Equal(TimeSpan.FromSeconds(10), DashScopeHealthCheck.CacheDuration);

    [Fact]
    public async Task AFloodOfReadinessProbes_AsksTheServiceOnce_AndLeavesTheWorkflowsBreakerClosed()
    {
        await using var failing = RawHttpServer.Start("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        await using var services = Services(failing.Url(""));
        var health = services.GetRequiredService<HealthCheckService>();

        // More failures than the standard breaker's minimum throughput (100), were each probe to go through the workflow's pipeline.
        var reports = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => health.CheckHealthAsync(r => r.Name == ReadinessChecks.DashScope)));

        Assert.All(reports, r => Assert.Equal(HealthStatus.Unhealthy, r.Status));
        Assert.Equal(1, failing.Connections);

        // The workflow's client is not short-circuited: its request reaches the server, which answers 500 as ever.
        var error = await Assert.ThrowsAsync<DashScopeException>(() => services.GetRequiredService<DashScopeClient>().GetTaskAsync("some-task"));
        Assert.Equal(("Http500", 2), (error.Code, failing.Connections));
    }

    [Fact]
    public async Task AnAnswer_IsReusedFor10Seconds_ThenTheServiceIsAskedAgain()
    {
        await using var failing = RawHttpServer.Start("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        var clock = new ManualClock();
        await using var services = Services(failing.Url(""), clock);
        var health = services.GetRequiredService<HealthCheckService>();
        Task<HealthReport> Probe() => health.CheckHealthAsync(r => r.Name == ReadinessChecks.DashScope);

        await Probe();
        clock.Advance(TimeSpan.FromSeconds(9.9));
        await Probe();
        var withinTheCache = failing.Connections;
        clock.Advance(TimeSpan.FromSeconds(0.1));
        await Probe();

        Assert.Equal((1, 2), (withinTheCache, failing.Connections));
    }

    [Fact]
    public async Task TheWorkflowsOpenBreaker_DoesNotShortCircuitTheReadinessProbe()
    {
        await using var failing = RawHttpServer.Start("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        await using var services = Services(failing.Url(""));
        var client = services.GetRequiredService<DashScopeClient>();
        DashScopeException? last = null;
        for (var i = 0; i < 300 && last?.Code != DashScopeErrorCodes.NotSent; i++)
        {
            last = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("some-task"));
        }

        Assert.Equal(DashScopeErrorCodes.NotSent, last!.Code);
        var sent = failing.Connections;

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == ReadinessChecks.DashScope);

        // The probe asked the service itself (and so reports what the service says, not the workflow's breaker).
        Assert.Equal((HealthStatus.Unhealthy, sent + 1), (report.Status, failing.Connections));
    }

    private static ServiceProvider Services(string baseUrl, TimeProvider? clock = null)
    {
        var services = new ServiceCollection()
            .AddSingleton(clock ?? TimeProvider.System)
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DashScope:ApiKey"] = "k",
                ["DashScope:BaseUrl"] = baseUrl,

                // One attempt a call: no retry delays, and each failure counts once in the breaker.
                ["DashScope:MaxRetries"] = "0",
            }).Build())
            .AddLogging()
            .AddVaceOrchestrations();
        services.AddHealthChecks().AddVaceReadinessChecks(taskHub: false);
        return services.BuildServiceProvider();
    }
}
