using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>
/// One host with its HTTP API on Azurite and the simulator, shared by a test class: the client "test-client" has the key
/// "test-key" (configured as its hash), and the HTTP API's log lines are kept in <see cref="Logs"/>.
/// </summary>
public class HttpHostFixture : IAsyncLifetime
{
    public const string Key = "test-key";

    public const string Client = "test-client";

    /// <summary>The proxy header a request through a reverse proxy on this machine carries.</summary>
    public static readonly KeyValuePair<string, string> Proxied = new("X-Forwarded-For", "203.0.113.7");

    public RunningSimulator Simulator { get; private set; } = null!;

    public WebApplication Host { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The host's settings (configuration keys, ':' separated): its storage account, queue, inbox, hub, ….</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; private set; } = null!;

    internal ListLoggerProvider Logs { get; } = new();

    public async Task InitializeAsync()
    {
        Simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });
        var settings = await HostTestSupport.SettingsAsync(Simulator);
        settings[$"Vace:Http:Keys:{Client}"] = ClientKeys.Hash(Key);
        settings["Vace:MaxConcurrentTasks"] = "20";
        settings["Vace:SubmissionsPerSecond"] = "20";
        settings["Logging:LogLevel:VaceFunctions.Local.Http"] = "Information";
        settings["Logging:LogLevel:VaceFunctions.Orchestrations.Http"] = "Information";
        Configure(settings);
        Settings = settings;
        Host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], settings);
        Host.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
        await Host.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(Host.Urls.First() + "/") };
    }

    /// <summary>Changes the host's configuration while it runs, as an edited settings file would, and reloads it.</summary>
    public void Reconfigure(IReadOnlyDictionary<string, string?> changes)
    {
        var configuration = (IConfigurationRoot)Host.Services.GetRequiredService<IConfiguration>();
        var overrides = configuration.Providers.OfType<MemoryConfigurationProvider>().Last();
        foreach (var (key, value) in changes)
        {
            overrides.Set(key, value);
        }

        configuration.Reload();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.StopAsync();
        await Host.DisposeAsync();
        await Simulator.DisposeAsync();
    }

    /// <summary>Keeps the simulator's new tasks PENDING (an hour) until disposed, so a job waits where a test wants it.</summary>
    public IDisposable KeepTasksPending()
    {
        var usual = Simulator.Options.PendingDuration;
        Simulator.Options.PendingDuration = TimeSpan.FromHours(1);
        return new Restore(() => Simulator.Options.PendingDuration = usual);
    }

    /// <summary>Settings of this fixture's host beyond the common ones.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public JsonObject Sample(string name, string? id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load(name), Simulator.BaseUrl);
        if (id is not null)
        {
            document["id"] = id;
        }

        return document;
    }

    public async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, string? json = null, string? key = Key, bool bearer = false, bool async = false, KeyValuePair<string, string>? header = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        if (header is { } extra)
        {
            request.Headers.Add(extra.Key, extra.Value);
        }

        if (key is not null)
        {
            if (bearer)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            else
            {
                request.Headers.Add("x-api-key", key);
            }
        }

        if (async)
        {
            request.Headers.Add("X-DashScope-Async", "enable");
        }

        return await Http.SendAsync(request);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
