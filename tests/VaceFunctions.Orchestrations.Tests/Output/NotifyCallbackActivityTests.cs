using System.Collections.Concurrent;
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
    private readonly ConcurrentQueue<string?> _signatures = new();
    private WebApplication _receiver = null!;
    private int _hits;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _receiver = builder.Build();
        var secret = Secret;

        // The receiver of docs/workflow.md's "Callbacks" section, as written there.
        _receiver.MapPost("/hooks/vace", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref _hits);
            _signatures.Enqueue(request.Headers[CallbackSignature.HeaderName].FirstOrDefault());
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            if (!CallbackSignature.Verify(secret, request.Headers[CallbackSignature.HeaderName], buffer.ToArray(),
                    DateTimeOffset.UtcNow, CallbackSignature.DefaultWindow))
            {
                return Results.Unauthorized();
            }

            var result = JsonNode.Parse(buffer.ToArray())!;
            _accepted.Enqueue((request.Headers["X-Vace-Job-Id"], result));
            return Results.Ok();
        });
        await _receiver.StartAsync();
    }

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

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
            "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/vace-callback-secret)");

        await Assert.ThrowsAsync<CallbackRefusedException>(
            () => Activity(services).RunAsync(new NotifyCallbackActivity.Request(HookUrl, "job-1", Body), CancellationToken.None));

        Assert.Null(Assert.Single(_signatures));
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

    private static ServiceProvider Services(bool allowLoopback, TimeProvider clock, string secret = Secret) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:ApiKey"] = "k",
            ["Vace:AllowLoopbackUrls"] = allowLoopback ? "true" : "false",
            ["Vace:CallbackSecret"] = secret,
        }).Build())
        .AddSingleton(clock)
        .AddLogging()
        .AddVaceOrchestrations()
        .BuildServiceProvider();
}
