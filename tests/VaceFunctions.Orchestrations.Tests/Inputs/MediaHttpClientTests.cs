using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Inputs;

namespace VaceFunctions.Orchestrations.Tests.Inputs;

/// <summary>The media HTTP client, as registered, refuses internal addresses at connect time unless allowed.</summary>
public sealed class MediaHttpClientTests : IAsyncLifetime
{
    private RunningSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync();

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task Get_LoopbackByAddressOrName_IsRefusedByDefault(string host)
    {
        using var services = Services(allowLoopback: false);
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(ProbeInputsActivity.HttpClientName);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://{host}:{_simulator.BaseUrl.Port}/media/sample-image.png"));

        Assert.Contains("Refusing to connect", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Loopback_IsAllowedWhenConfigured()
    {
        using var services = Services(allowLoopback: true);
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(ProbeInputsActivity.HttpClientName);

        var response = await http.GetAsync(new Uri(_simulator.BaseUrl, "media/sample-image.png"));

        Assert.True(response.IsSuccessStatusCode);
    }

    private static ServiceProvider Services(bool allowLoopback) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:ApiKey"] = "k",
            ["Vace:AllowLoopbackUrls"] = allowLoopback ? "true" : "false",
        }).Build())
        .AddLogging()
        .AddVaceOrchestrations()
        .BuildServiceProvider();
}
