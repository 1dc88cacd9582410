using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.Output;

/// <summary>
/// The callback as a receiver gets it, over real HTTP: signed with the time of sending, verified by docs/workflow.md's
/// receiver code; and, like media, sent only where the URL guard allows.
/// </summary>
public sealed class NotifyCallbackActivityTests : IAsyncLifetime
{
    private const string Secret = "hook-secret";
    private const string Body = """{"jobId":"job-1","succeeded":true}""";

    private readonly ConcurrentQueue<(string? JobId, JsonNode Result)> _accepted = new();
    private readonly ConcurrentQueue<(byte[] Body, string? Signature)> _delivered = new();
    private WebApplication _receiver = null!;
    private int _hits;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _receiver = builder.Build();
        var secret = Secret;
        _receiver.MapPost("/hooks/vace", Receiver(secret, () => HookUrl));
        _receiver.MapPost("/hooks/other", Receiver(secret, () => _receiver.Urls.First() + "/hooks/other"));
        await _receiver.StartAsync();
    }

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    /// <summary>The receiver of README.md's "Callbacks" section, as written there, at <paramref name="ownUrl"/>.</summary>
    private Func<HttpRequest, Task<IResult>> Receiver(string secret, Func<string> ownUrl) => async request =>
    {
        Interlocked.Increment(ref _hits);
        var myUrl = ownUrl();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        _delivered.Enqueue((buffer.ToArray(), request.Headers[CallbackSignature.HeaderName]));
        if (!CallbackSignature.Verify(secret, request.Headers[CallbackSignature.HeaderName], buffer.ToArray(),
                DateTimeOffset.UtcNow, CallbackSignature.DefaultWindow))
        {
            return Results.Unauthorized();
        }

        var result = JsonNode.Parse(buffer.ToArray())!;
        if (result["callbackUrl"]?.GetValue<string>() != myUrl)
        {
            return Results.Unauthorized();
        }

        _accepted.Enqueue((request.Headers["X-Vace-Job-Id"], result));
        return Results.Ok();
    };

    private string HookUrl => _receiver.Urls.First() + "/hooks/vace";

    [Fact]
    public async Task Run_WithASecret_IsAcceptedByTheDocumentedReceiver()
    {
        using var services = Services(allowLoopback: true, TimeProvider.System);

        var status = await Activity(services).RunAsync(new NotifyCallbackActivity.Request(HookUrl, "job-1", Body), CancellationToken.None);

        Assert.Equal(200, status);
        var (jobId, result) = Assert.Single(_accepted);
        Assert.Equal("job-1", jobId);
        Assert.True(result["succeeded"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Run_SignedOutsideTheReceiversWindow_IsRefusedByIt()
    {
        // The sender's clock is ten minutes behind the receiver's: its signature is stale on arrival.
        using var services = Services(allowLoopback: true, new ManualClock(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10)));

        var error = await Assert.ThrowsAsync<CallbackRefusedException>(
            () => Activity(services).RunAsync(new NotifyCallbackActivity.Request(HookUrl, "job-1", Body), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Empty(_accepted);
    }

    [Fact]
    public async Task Run_SignedBodyCarriesItsUrl_SoAReplayToAnotherReceiverIsRefusedByIt()
    {
        using var services = Services(allowLoopback: true, TimeProvider.System);

        await Activity(services).RunAsync(new NotifyCallbackActivity.Request(HookUrl, "job-1", Body), CancellationToken.None);
        var (body, signature) = Assert.Single(_delivered);
        using var replay = new HttpRequestMessage(HttpMethod.Post, _receiver.Urls.First() + "/hooks/other") { Content = new ByteArrayContent(body) };
        replay.Headers.Add(CallbackSignature.HeaderName, signature);
        using var http = new HttpClient();
        using var replayed = await http.SendAsync(replay);

        var (_, accepted) = Assert.Single(_accepted);
        Assert.Equal(HookUrl, accepted[NotifyCallbackActivity.CallbackUrlField]!.GetValue<string>());
        Assert.True(accepted["succeeded"]!.GetValue<bool>());

        // The signature is still good (within its window): only the URL inside it tells the replay apart.
        Assert.True(CallbackSignature.Verify(Secret, signature, body, DateTimeOffset.UtcNow, CallbackSignature.DefaultWindow));
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
    }

    [Fact]
    public void CallbackTimeout_DefaultsTo30Seconds() => Assert.Equal(TimeSpan.FromSeconds(30), new WorkflowOptions().CallbackTimeout);

    [Theory]
    [InlineData("never answers")]
    [InlineData("stops inside its headers")]
    public async Task Run_ReceiverThatDoesNotAnswer_FailsWithinTheCallbackTimeout_ForTheRetryPolicy(string behaviour)
    {
        await using var receiver = behaviour == "never answers"
            ? RawHttpServer.Silent()
            : RawHttpServer.Start("HTTP/1.1 200 OK\r\nContent-Type: text/pl", bodyBytes: 1, stallAfter: 0);
        using var services = Services(allowLoopback: true, TimeProvider.System, TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => Activity(services).RunAsync(new NotifyCallbackActivity.Request(receiver.Url("hook"), "job-1", Body), CancellationToken.None)
                .WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal("The callback receiver did not answer within 1 s (Vace:CallbackTimeout).", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the delivery took {watch.Elapsed}");
    }

    [Fact]
    public async Task Run_ReceiverThatAnswersThenTricklesItsBody_IsDeliveredAtItsStatusLine()
    {
        await using var receiver = RawHttpServer.Start(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n", bodyBytes: 100_000, byteInterval: TimeSpan.FromSeconds(1));
        using var services = Services(allowLoopback: true, TimeProvider.System, TimeSpan.FromSeconds(5));

        var status = await Activity(services).RunAsync(new NotifyCallbackActivity.Request(receiver.Url("hook"), "job-1", Body), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Run_LoopbackCallbackWhereLoopbackIsNotAllowed_IsRefusedByTheUrlGuard()
    {
        using var services = Services(allowLoopback: false, TimeProvider.System);

        var error = await Assert.ThrowsAsync<CallbackRefusedException>(
            () => Activity(services).RunAsync(new NotifyCallbackActivity.Request(HookUrl, "job-1", Body), CancellationToken.None));

        Assert.Contains("Refusing to connect", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, _hits);
    }

    [Fact]
    public async Task Run_SecretIsAnUnresolvedKeyVaultReference_SendsUnsigned()
    {
        // What Azure leaves in the setting infra always writes, while no callback secret was provisioned.
        using var services = Services(allowLoopback: true, TimeProvider.System,
            secret: "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/vace-callback-secret)");

        await Assert.ThrowsAsync<CallbackRefusedException>(
            () => Activity(services).RunAsync(new NotifyCallbackActivity.Request(HookUrl, "job-1", Body), CancellationToken.None));

        Assert.Null(Assert.Single(_delivered).Signature);
        Assert.Contains("callback secret not set", services.GetRequiredService<IOptions<WorkflowOptions>>().Value.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, true)]
    [InlineData(HttpStatusCode.NotFound, true)]
    [InlineData(HttpStatusCode.RequestTimeout, false)]
    [InlineData(HttpStatusCode.TooManyRequests, false)]
    [InlineData(HttpStatusCode.InternalServerError, false)]
    [InlineData(HttpStatusCode.BadGateway, false)]
    public void IsRefusal_OnlyFor4xxThatNoRetryChanges(HttpStatusCode status, bool refusal) =>
        Assert.Equal(refusal, CallbackRefusedException.IsRefusal(status));

    private static NotifyCallbackActivity Activity(ServiceProvider services) => ActivatorUtilities.CreateInstance<NotifyCallbackActivity>(services);

    private static ServiceProvider Services(bool allowLoopback, TimeProvider clock, TimeSpan? callbackTimeout = null, string secret = Secret) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:ApiKey"] = "k",
            ["Vace:AllowLoopbackUrls"] = allowLoopback ? "true" : "false",
            ["Vace:CallbackSecret"] = secret,
            ["Vace:CallbackTimeout"] = (callbackTimeout ?? new WorkflowOptions().CallbackTimeout).ToString(),
        }).Build())
        .AddSingleton(clock)
        .AddLogging()
        .AddVaceOrchestrations()
        .BuildServiceProvider();
}
