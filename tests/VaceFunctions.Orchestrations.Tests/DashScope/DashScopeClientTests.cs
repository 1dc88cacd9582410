using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

/// <summary>The client against the simulator over real HTTP, wired exactly as the hosts wire it.</summary>
public sealed class DashScopeClientTests : IAsyncLifetime
{
    private const string Key = "sk-test-3f9a7c1e";

    private readonly ManualClock _clock = new();
    private readonly ListLoggerProvider _logs = new();
    private RunningSimulator _simulator = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(
            o =>
            {
                o.ApiKey = Key;
                o.SubmissionsPerSecond = 0;
                o.MaxConcurrentTasks = 0;
            },
            _clock);
        _services = Services(_simulator.BaseUrl, Key);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task SubmitThenGet_DocumentedRequest_FollowsTheTaskToSucceeded()
    {
        var client = Client();

        var created = await client.SubmitAsync(Samples.Load("video_edit"));
        var taskId = created.Output!.TaskId!;
        Assert.Equal(DashScopeTaskStatus.Pending, created.Output.Status);
        Assert.False(string.IsNullOrEmpty(created.RequestId));

        Assert.Equal(DashScopeTaskStatus.Pending, (await client.GetTaskAsync(taskId)).Output!.Status);
        _clock.Advance(_simulator.Options.PendingDuration);
        Assert.Equal(DashScopeTaskStatus.Running, (await client.GetTaskAsync(taskId)).Output!.Status);
        _clock.Advance(_simulator.Options.RunningDuration);
        var done = await client.GetTaskAsync(taskId);

        Assert.Equal(DashScopeTaskStatus.Succeeded, done.Output!.Status);
        Assert.StartsWith(_simulator.BaseUrl.ToString(), done.Output.VideoUrl, StringComparison.Ordinal);
        Assert.Equal(5, done.Usage!.VideoDuration);
        Assert.Equal("1280*720", done.Usage.VideoRatio);
        Assert.Equal(new DateTime(2026, 3, 18, 9, 38, 24, 817), DashScopeTaskOutput.ParseTime(done.Output.SubmitTime));
        Assert.NotNull(DashScopeTaskOutput.ParseTime(done.Output.EndTime));
        Assert.Equal(1, _simulator.State.Counters().TasksCreated);
    }

    [Fact]
    public async Task GetTask_FailedCanceledAndUnknown_AreReadAsSuch()
    {
        var client = Client();
        _simulator.State.Faults = new SimulatorFaults { FailTasksWithCode = DashScopeErrorCodes.DataInspectionFailed };
        var failing = (await client.SubmitAsync(Samples.Load("video_extension"))).Output!.TaskId!;
        _simulator.State.Faults = new SimulatorFaults();
        var canceled = (await client.SubmitAsync(Samples.Load("video_outpainting"))).Output!.TaskId!;
        await client.CancelAsync(canceled);
        _clock.Advance(TimeSpan.FromMinutes(5));

        var failed = (await client.GetTaskAsync(failing)).Output!;
        Assert.Equal(DashScopeTaskStatus.Failed, failed.Status);
        Assert.Equal(DashScopeErrorCodes.DataInspectionFailed, failed.Code);
        Assert.False(string.IsNullOrEmpty(failed.Message));
        Assert.Equal(DashScopeTaskStatus.Canceled, (await client.GetTaskAsync(canceled)).Output!.Status);
        Assert.Equal(DashScopeTaskStatus.Unknown, (await client.GetTaskAsync("0000-no-such-task")).Output!.Status);
    }

    [Fact]
    public async Task Cancel_RunningTask_IsUnsupportedOperationAndNotRetried()
    {
        var client = Client();
        var taskId = (await client.SubmitAsync(Samples.Load("video_edit"))).Output!.TaskId!;
        _clock.Advance(_simulator.Options.PendingDuration);

        var error = await Assert.ThrowsAsync<DashScopeException>(() => client.CancelAsync(taskId));

        Assert.Equal((DashScopeErrorCodes.UnsupportedOperation, HttpStatusCode.BadRequest, false), (error.Code, error.StatusCode, error.IsRetryable));
        Assert.Equal(1, _simulator.State.Counters().Cancels);
    }

    [Theory]
    [InlineData("bad key", HttpStatusCode.Unauthorized, DashScopeErrorCodes.InvalidApiKey)]
    [InlineData("invalid body", HttpStatusCode.BadRequest, DashScopeErrorCodes.InvalidParameter)]
    [InlineData("unknown model", HttpStatusCode.NotFound, DashScopeErrorCodes.ModelNotFound)]
    public async Task Submit_RefusedRequest_IsAPermanentErrorSentOnce(string defect, HttpStatusCode status, string code)
    {
        await using var services = defect == "bad key" ? Services(_simulator.BaseUrl, "sk-wrong") : null;
        var client = (services ?? _services).GetRequiredService<DashScopeClient>();
        var body = Samples.Load("video_edit");
        if (defect == "invalid body")
        {
            body["input"]!["mask_video_url"] = "https://example.com/m.mp4";
        }
        else if (defect == "unknown model")
        {
            body["model"] = "wan9-vace";
        }

        var error = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(body));

        Assert.Equal((code, status), (error.Code, error.StatusCode));
        Assert.False(error.IsRetryable);
        Assert.False(error.TaskMayHaveBeenCreated);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.Equal(1, _simulator.State.Counters().ApiRequests);
    }

    [Fact]
    public async Task Submit_Throttled_WaitsForRetryAfterAndSubmitsOnce()
    {
        _simulator.Options.RetryAfterSeconds = 1;
        _simulator.State.Faults = new SimulatorFaults { Throttles = 1 };
        var watch = Stopwatch.StartNew();

        var created = await Client().SubmitAsync(Samples.Load("video_edit"));

        Assert.NotNull(created.Output!.TaskId);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {watch.Elapsed}");
        var counters = _simulator.State.Counters();
        Assert.Equal((2, 1), (counters.ApiRequests, counters.TasksCreated));
    }

    [Fact]
    public async Task Submit_ServerErrorWithTheServiceErrorBody_IsRetried()
    {
        _simulator.State.Faults = new SimulatorFaults { ServerErrors = 2 };

        await Client().SubmitAsync(Samples.Load("video_edit"));

        var counters = _simulator.State.Counters();
        Assert.Equal((3, 1), (counters.ApiRequests, counters.TasksCreated));
    }

    [Fact]
    public async Task Submit_BareGatewayError_IsAmbiguousAndNotResent()
    {
        _simulator.State.Faults = new SimulatorFaults { GatewayErrors = 1 };

        var error = await Assert.ThrowsAsync<DashScopeException>(() => Client().SubmitAsync(Samples.Load("video_edit")));

        Assert.True(error.TaskMayHaveBeenCreated);
        Assert.False(error.IsRetryable);
        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Equal(1, _simulator.State.Counters().ApiRequests);
    }

    [Fact]
    public async Task Submit_ConnectionCutAfterTheTaskWasCreated_IsAmbiguousAndNotResent()
    {
        _simulator.State.Faults = new SimulatorFaults { DropAfterCreate = 1 };

        var error = await Assert.ThrowsAsync<DashScopeException>(() => Client().SubmitAsync(Samples.Load("video_edit")));

        Assert.Equal(DashScopeErrorCodes.NoResponse, error.Code);
        Assert.True(error.TaskMayHaveBeenCreated);
        var counters = _simulator.State.Counters();
        Assert.Equal((1, 1), (counters.ApiRequests, counters.TasksCreated));
    }

    [Fact]
    public async Task Submit_NoAnswerInTime_IsAmbiguousAndNotResent()
    {
        _simulator.State.Faults = new SimulatorFaults { ResponseDelay = TimeSpan.FromSeconds(5) };
        await using var services = Services(_simulator.BaseUrl, Key, ("DashScope:RequestTimeout", "00:00:01"));

        var error = await Assert.ThrowsAsync<DashScopeException>(() => services.GetRequiredService<DashScopeClient>().SubmitAsync(Samples.Load("video_edit")));

        Assert.Equal(DashScopeErrorCodes.NoResponse, error.Code);
        Assert.True(error.TaskMayHaveBeenCreated);
        Assert.Equal(1, _simulator.State.Counters().ApiRequests);
    }

    [Fact]
    public async Task GetTask_TransientFailures_AreRetriedUntilAnAnswer()
    {
        var client = Client();
        var taskId = (await client.SubmitAsync(Samples.Load("video_edit"))).Output!.TaskId!;
        _simulator.State.Faults = new SimulatorFaults { DroppedConnections = 1, GatewayErrors = 1, ServerErrors = 1 };

        var task = await client.GetTaskAsync(taskId);

        Assert.Equal(DashScopeTaskStatus.Pending, task.Output!.Status);
        Assert.Equal(3, _simulator.State.Counters().FaultsInjected);
        Assert.Contains(_logs.Messages, m => m.Contains("retry 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetTask_PersistentFailure_GivesUpAfterTheConfiguredRetries()
    {
        _simulator.State.Faults = new SimulatorFaults { ServerErrors = 100 };

        var error = await Assert.ThrowsAsync<DashScopeException>(() => Client().GetTaskAsync("any"));

        Assert.Equal(DashScopeErrorCodes.InternalError, error.Code);
        Assert.True(error.IsRetryable);
        Assert.Equal(4, _simulator.State.Counters().ApiRequests);
    }

    [Fact]
    public async Task Submit_ConnectionRefused_IsSafeToRetryAndReportedAsSuch()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var services = Services(new Uri($"http://127.0.0.1:{port}/"), Key);

        var error = await Assert.ThrowsAsync<DashScopeException>(() => services.GetRequiredService<DashScopeClient>().SubmitAsync(Samples.Load("video_edit")));

        Assert.Equal(DashScopeErrorCodes.ConnectionFailed, error.Code);
        Assert.True(error.IsRetryable);
        Assert.False(error.TaskMayHaveBeenCreated);
    }

    [Fact]
    public async Task ApiKey_NeverAppearsInLogsExceptionsOrOptions()
    {
        _simulator.State.Faults = new SimulatorFaults { ServerErrors = 2, Throttles = 1 };
        var client = Client();
        var taskId = (await client.SubmitAsync(Samples.Load("video_edit"))).Output!.TaskId!;
        await client.GetTaskAsync(taskId);
        _clock.Advance(TimeSpan.FromMinutes(5));
        var refused = await Assert.ThrowsAsync<DashScopeException>(() => client.CancelAsync(taskId));
        await using var wrongKey = Services(_simulator.BaseUrl, "sk-wrong-key-123");
        var unauthorized = await Assert.ThrowsAsync<DashScopeException>(() => wrongKey.GetRequiredService<DashScopeClient>().GetTaskAsync(taskId));

        Assert.NotEmpty(_logs.Messages);
        Assert.DoesNotContain(_logs.Messages, m => m.Contains(Key, StringComparison.Ordinal) || m.Contains("sk-wrong-key-123", StringComparison.Ordinal));
        Assert.DoesNotContain(Key, refused.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong-key-123", unauthorized.ToString(), StringComparison.Ordinal);
        var options = _services.GetRequiredService<IOptions<DashScopeOptions>>().Value;
        Assert.DoesNotContain(Key, options.ToString(), StringComparison.Ordinal);
        Assert.Contains("key set", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/dashscope-api-key)")]
    public async Task Options_WithoutApiKey_PassValidationAtStart_AndSayNoKeyIsSet(string apiKey)
    {
        // An empty key, or the Key Vault reference infra writes before the secret exists, as Azure leaves it unresolved.
        await using var services = Services(_simulator.BaseUrl, apiKey);

        var options = services.GetRequiredService<IOptions<DashScopeOptions>>().Value;

        Assert.False(options.HasApiKey);
        Assert.Contains("key not set", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wan9-vace", "must be one of")]
    [InlineData("wanx2.1-vace-plus", "does not belong to the endpoint's region")]
    public void Options_ModelNotOfTheEndpoint_FailValidation(string model, string message)
    {
        var options = new DashScopeOptions { ApiKey = "k", Model = model };

        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.ErrorMessage!.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://dashscope-intl.aliyuncs.com/api/v1", "https://dashscope-intl.aliyuncs.com/", DashScopeRegion.International)]
    [InlineData("https://dashscope.aliyuncs.com", "https://dashscope.aliyuncs.com/", DashScopeRegion.ChineseMainland)]
    [InlineData("http://127.0.0.1:5080/", "http://127.0.0.1:5080/", null)]
    public void Options_BaseUrl_IsTheServiceRootAndKnowsItsRegion(string configured, string root, DashScopeRegion? region)
    {
        var options = new DashScopeOptions { BaseUrl = new Uri(configured) };

        Assert.Equal(root, options.EffectiveBaseUrl.ToString());
        Assert.Equal(region, options.EffectiveRegion);
    }

    [Fact]
    public async Task Options_EmptyValuesAsInTheSampleSettingsFile_MeanUnset()
    {
        await using var services = Services(_simulator.BaseUrl, Key, ("DashScope:Model", ""), ("DashScope:BaseUrl", ""));

        var options = services.GetRequiredService<IOptions<DashScopeOptions>>().Value;

        Assert.Equal(VaceModels.InternationalEndpoint, options.EffectiveBaseUrl);
        Assert.True(string.IsNullOrEmpty(options.Model));
    }

    [Fact]
    public void Options_WithoutBaseUrl_UseTheRegionsEndpoint()
    {
        Assert.Equal(VaceModels.ChineseMainlandEndpoint, new DashScopeOptions { Region = DashScopeRegion.ChineseMainland }.EffectiveBaseUrl);
        Assert.Equal(VaceModels.InternationalEndpoint, new DashScopeOptions().EffectiveBaseUrl);
    }

    private DashScopeClient Client() => _services.GetRequiredService<DashScopeClient>();

    private ServiceProvider Services(Uri baseUrl, string apiKey, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = baseUrl.ToString(),
            ["DashScope:ApiKey"] = apiKey,
            ["DashScope:RetryDelay"] = "00:00:00.010",
            ["DashScope:MaxRetries"] = "3",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddLogging(logging => logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace))
            .AddVaceOrchestrations()
            .BuildServiceProvider();
    }
}
