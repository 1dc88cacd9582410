using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Health;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

/// <summary>A host without a DashScope API key: it starts, reports the missing key, and fails each job with NotConfigured.</summary>
public sealed class SubmitTaskActivityTests : IDisposable
{
    // Stands in for DashScope: any connection to it would be a request sent.
    private readonly TcpListener _service = new(IPAddress.Loopback, 0);

    public SubmitTaskActivityTests() => _service.Start();

    public void Dispose() => _service.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/dashscope-api-key)")]
    public async Task Run_WithoutApiKey_FailsWithNotConfigured_AndSendsNothing(string? apiKey)
    {
        using var services = Services(apiKey);
        var activity = ActivatorUtilities.CreateInstance<SubmitTaskActivity>(services);

        var result = await activity.RunAsync(
            new SubmitTaskActivity.Request("job-1", Samples.Load("video_edit").ToJsonString(), []), CancellationToken.None);

        Assert.Null(result.TaskId);
        Assert.Equal(VaceJobErrorCodes.NotConfigured, result.ErrorCode);
        Assert.Equal("no DashScope API key is configured", result.ErrorMessage);
        Assert.False(result.Retryable);
        Assert.False(_service.Pending());
    }

    [Fact]
    public async Task HealthCheck_WithoutApiKey_IsDegraded_AndAsksNothing()
    {
        using var services = Services(apiKey: null);
        var check = ActivatorUtilities.CreateInstance<DashScopeHealthCheck>(services);

        var health = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("No DashScope API key is configured", health.Description, StringComparison.Ordinal);
        Assert.False(_service.Pending());
    }

    private ServiceProvider Services(string? apiKey) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = $"http://127.0.0.1:{((IPEndPoint)_service.LocalEndpoint).Port}/",
            ["DashScope:ApiKey"] = apiKey,
        }).Build())
        .AddLogging()
        .AddVaceOrchestrations()

        // Never reached: a job without a key records no submission.
        .AddSingleton(new BlobServiceClient("UseDevelopmentStorage=true"))
        .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false });
}
