using Microsoft.AspNetCore.Builder;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Local.Tests.Operations;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>
/// The whole local host listening on HTTP, its storage reached through a <see cref="StorageProxy"/> a test can cut,
/// and a client whose timeout bounds how long any answer may take. Disposing puts the proxy back to forwarding first,
/// so the host stops cleanly.
/// </summary>
internal sealed class ProxiedHost : IAsyncDisposable
{
    private readonly RunningSimulator _simulator;
    private readonly WebApplication _app;

    private ProxiedHost(RunningSimulator simulator, StorageProxy proxy, WebApplication app, TimeSpan clientTimeout)
    {
        _simulator = simulator;
        Proxy = proxy;
        _app = app;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/"), Timeout = clientTimeout };
    }

    public StorageProxy Proxy { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ProxiedHost> StartAsync(TimeSpan clientTimeout)
    {
        var simulator = await SimulatorHost.StartAsync();
        var settings = await HostTestSupport.SettingsAsync(simulator);
        var proxy = StorageProxy.Start(settings["AzureWebJobsStorage"]!);
        settings["AzureWebJobsStorage"] = proxy.ConnectionString;
        var app = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], settings);
        await app.StartAsync();
        return new ProxiedHost(simulator, proxy, app, clientTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        Proxy.Set(StorageProxy.Mode.Forward);
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Proxy.DisposeAsync();
        await _simulator.DisposeAsync();
    }
}
