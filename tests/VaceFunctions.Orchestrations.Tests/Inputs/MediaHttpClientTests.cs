using System.Globalization;
using System.Net;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly.Timeout;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.Inputs;

/// <summary>
/// The media and callback HTTP clients, as registered: they refuse internal addresses at connect time unless allowed
/// (downloads may reach the DashScope service's own origin, callbacks may not), on every redirect hop; the media
/// client retries GETs, the callback POST is sent once and follows no redirect, and timeouts never cut a body being
/// streamed.
/// </summary>
public sealed class MediaHttpClientTests : IAsyncLifetime
{
    /// <summary>The name of the media client's standard resilience options.</summary>
    private const string ResilienceOptionsName = ProbeInputsActivity.HttpClientName + "-standard";

    public static readonly TheoryData<string> DisguisedLoopback = new(LoopbackSpellings.Urls);

    private RunningSimulator _simulator = null!;
    private WebApplication _origin = null!;
    private RawHttpServer _bait = null!;
    private int _hits;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync();
        _bait = RawHttpServer.Start();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _origin = builder.Build();
        _origin.MapGet("/flaky", (HttpResponse response) =>
        {
            if (Interlocked.Increment(ref _hits) > 1)
            {
                return Results.Ok();
            }

            response.Headers.RetryAfter = "0";
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        });
        _origin.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref _hits);
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        });
        _origin.MapGet("/slow", async (HttpContext context) =>
        {
            await context.Response.StartAsync(context.RequestAborted);
            for (var i = 0; i < 6; i++)
            {
                await context.Response.Body.WriteAsync(new byte[1024], context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(200, context.RequestAborted);
            }
        });
        _origin.MapGet("/late", async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted);
            return Results.Ok();
        });
        _origin.MapGet("/ok", () => Results.Ok());
        _origin.MapPost("/ok", () => Results.Ok());
        _origin.MapGet("/redirect", (string to) => Results.Redirect(to));
        _origin.MapPost("/redirect", (string to) => Results.Redirect(to, permanent: false, preserveMethod: true));
        await _origin.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        await _bait.DisposeAsync();
        await _simulator.DisposeAsync();
    }

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

    [Fact]
    public async Task Get_RefusedAddress_IsTriedOnce()
    {
        var attempts = 0;
        using var services = Services(allowLoopback: false, s => s.AddHttpClient(ProbeInputsActivity.HttpClientName)
            .AddHttpMessageHandler(() => new CountingHandler(() => Interlocked.Increment(ref attempts))));

        await Assert.ThrowsAsync<HttpRequestException>(() => Client(services).GetAsync(new Uri(_simulator.BaseUrl, "media/sample-image.png")));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Get_TransientServerError_IsRetried()
    {
        using var services = Services(allowLoopback: true);

        using var response = await Client(services).GetAsync(Origin("flaky"));

        Assert.Equal((HttpStatusCode.OK, 2), (response.StatusCode, _hits));
    }

    [Fact]
    public async Task Post_ServerError_IsSentOnce()
    {
        using var services = Services(allowLoopback: true);

        using var response = await Client(services, NotifyCallbackActivity.HttpClientName).PostAsync(Origin("hook"), new StringContent("{}"));

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1), (response.StatusCode, _hits));
    }

    [Fact]
    public async Task Get_BodyStreamedLongerThanTheTimeouts_IsReadWhole()
    {
        using var services = Services(allowLoopback: true, s => s.Configure<HttpStandardResilienceOptions>(ResilienceOptionsName, o =>
        {
            o.AttemptTimeout.Timeout = TimeSpan.FromMilliseconds(300);
            o.TotalRequestTimeout.Timeout = TimeSpan.FromMilliseconds(600);
            o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(1);
            o.Retry.Delay = TimeSpan.FromMilliseconds(10);
        }));
        var http = Client(services);

        using var response = await http.GetAsync(Origin("slow"), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(6 * 1024, body.Length);
        await Assert.ThrowsAsync<TimeoutRejectedException>(() => http.GetAsync(Origin("late")));
    }

    [Theory]
    [MemberData(nameof(DisguisedLoopback))]
    public async Task Get_AnotherLoopbackPortInAnySpelling_IsRefusedWhileTheDashScopeOriginIsLoopback(string spelling)
    {
        using var services = Services(allowLoopback: false, dashScope: _origin.Urls.First());

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Client(services).GetAsync(string.Format(CultureInfo.InvariantCulture, spelling, _bait.Port)));

        Assert.True(UrlGuard.IsRefusal(error), error.ToString());
        Assert.Equal(0, _bait.Connections);
    }

    [Fact]
    public async Task TheDashScopeOrigin_IsReachedByDownloadsOnly_AndOnlyAsConfigured()
    {
        using var services = Services(allowLoopback: false, dashScope: _origin.Urls.First());
        var port = new Uri(_origin.Urls.First()).Port;

        using var download = await Client(services).GetAsync(Origin("ok"));
        var callback = await Record.ExceptionAsync(() => Client(services, NotifyCallbackActivity.HttpClientName).PostAsync(Origin("ok"), new StringContent("{}")));
        var otherSpelling = await Record.ExceptionAsync(() => Client(services).GetAsync($"http://localhost:{port}/ok"));

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.True(callback is not null && UrlGuard.IsRefusal(callback), callback?.ToString());
        Assert.True(otherSpelling is not null && UrlGuard.IsRefusal(otherSpelling), otherSpelling?.ToString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/x")]
    [InlineData("http://[::ffff:127.0.0.1]:{0}/x")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/")]
    [InlineData("http://[2002:7f00:1::]:{0}/x")]
    public async Task Get_RedirectFromAnAllowedOriginToARefusedAddress_IsRefusedAtTheHop(string target)
    {
        using var services = Services(allowLoopback: false, dashScope: _origin.Urls.First());
        var http = Client(services);
        var to = string.Format(CultureInfo.InvariantCulture, target, _bait.Port);

        using var followed = await http.GetAsync(Origin("redirect?to=" + Uri.EscapeDataString(Origin("ok").ToString())));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => http.GetAsync(Origin("redirect?to=" + Uri.EscapeDataString(to))));

        Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
        Assert.True(UrlGuard.IsRefusal(error), error.ToString());
        Assert.Equal(0, _bait.Connections);
    }

    [Fact]
    public async Task Post_Callback_FollowsNoRedirect()
    {
        using var services = Services(allowLoopback: true);

        using var response = await Client(services, NotifyCallbackActivity.HttpClientName)
            .PostAsync(Origin("redirect?to=" + Uri.EscapeDataString($"http://127.0.0.1:{_bait.Port}/hook")), new StringContent("{}"));

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal(0, _bait.Connections);
    }

    private Uri Origin(string path) => new(new Uri(_origin.Urls.First()), path);

    private static HttpClient Client(ServiceProvider services, string name = ProbeInputsActivity.HttpClientName) =>
        services.GetRequiredService<IHttpClientFactory>().CreateClient(name);

    /// <param name="allowLoopback">Vace:AllowLoopbackUrls.</param>
    /// <param name="configure">Changes to the services after they are registered.</param>
    /// <param name="dashScope">DashScope:BaseUrl; by default the public endpoint.</param>
    internal static ServiceProvider Services(bool allowLoopback, Action<IServiceCollection>? configure = null, string? dashScope = null)
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DashScope:ApiKey"] = "k",
                ["DashScope:BaseUrl"] = dashScope,
                ["Vace:AllowLoopbackUrls"] = allowLoopback ? "true" : "false",
            }).Build())
            .AddLogging()
            .AddVaceOrchestrations();

        // The hosts' storage account (the probe signs a job's own blobs with it); nothing here listens on its port.
        services.TryAddSingleton(new BlobServiceClient("UseDevelopmentStorage=true"));
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    /// <summary>Counts the attempts that pass it, inside the resilience pipeline.</summary>
    private sealed class CountingHandler(Action count) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            count();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
