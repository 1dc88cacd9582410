using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>One host with its HTTP API (API key "test-key") on Azurite and the simulator, shared by a test class.</summary>
public sealed class HttpHostFixture : IAsyncLifetime
{
    public const string Key = "test-key";

    public RunningSimulator Simulator { get; private set; } = null!;

    public WebApplication Host { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

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
        settings["Vace:Http:ApiKey"] = Key;
        settings["Vace:MaxConcurrentTasks"] = "20";
        settings["Vace:SubmissionsPerSecond"] = "20";
        Host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], settings);
        await Host.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(Host.Urls.First() + "/") };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.StopAsync();
        await Host.DisposeAsync();
        await Simulator.DisposeAsync();
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

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? key = Key, bool bearer = false, bool async = false)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
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
}
