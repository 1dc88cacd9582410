using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaceFunctions.Local.Engine;

/// <summary>
/// Microsoft's Durable Task engine inside the host process: the Azure Storage backend (the default backend of
/// Durable Functions) served over gRPC by the public sidecar of Microsoft.DurableTask.InProcessTestHost, on a
/// Unix socket of this process only — nothing outside it can reach the engine. Registered before the
/// <c>DurableTaskWorker</c>, so it starts first and stops last (after the worker has closed its stream).
/// </summary>
public sealed partial class EngineSidecar(EngineEndpoint endpoint, IOptions<EngineOptions> options, IConfiguration configuration, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggers.CreateLogger<EngineSidecar>();
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = Settings(options.Value, configuration, loggers);
        var backend = new AzureStorageOrchestrationService(settings);

        // The sidecar never creates the task hub.
        await backend.CreateIfNotExistsAsync();

        // Nothing from the environment or appsettings may configure this server (a Kestrel endpoint or URL there would
        // expose the engine on the network): it listens on its private socket and nowhere else.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(endpoint.SocketPath, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(new GuardedOrchestrationService(backend));
        builder.Services.AddSingleton<IOrchestrationServiceClient>(backend);
        builder.Services.AddSingleton(Options.Create(new TaskHubGrpcServerOptions
        {
            Mode = endpoint.RunsWorker ? TaskHubGrpcServerMode.ApiServerAndDispatcher : TaskHubGrpcServerMode.ApiServerOnly,
        }));
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();

        // It hooks the application's started and stopping events when it is made.
        app.Services.GetRequiredService<TaskHubGrpcServer>();
        await app.StartAsync(cancellationToken);
        _app = app;
        Log.Started(_log, settings.TaskHubName, settings.WorkerId, settings.PartitionCount);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(cancellationToken);
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// Stops the engine if the host was disposed without being stopped: a backend left running would keep its
    /// partition leases and take messages that nobody processes.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StopAsync(timeout.Token);
        endpoint.Dispose();
    }

    /// <summary>The backend's settings: the hub in <c>AzureWebJobsStorage</c>, caps raised, starts of existing ids refused.</summary>
    internal static AzureStorageOrchestrationServiceSettings Settings(EngineOptions options, IConfiguration configuration, ILoggerFactory loggers) => new()
    {
        StorageAccountClientProvider = new StorageAccountClientProvider(configuration["AzureWebJobsStorage"]
            ?? throw new InvalidOperationException("AzureWebJobsStorage is not set.")),
        TaskHubName = options.TaskHub,
        WorkerId = options.WorkerId is { Length: > 0 } id ? id : DefaultWorkerId(configuration),
        PartitionCount = options.PartitionCount,
        MaxQueuePollingInterval = options.MaxQueuePollingInterval,
        MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
        MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
        WorkItemQueueVisibilityTimeout = options.WorkItemVisibilityTimeout,
        ControlQueueVisibilityTimeout = options.WorkItemVisibilityTimeout,

        // Hosts of one hub share its partitions; the app lease (one app at a time, for blue/green swaps) would make a
        // second host wait for the first to go away.
        UseAppLease = false,

        // Intake starts a job with its id as instance id: a second start must fail, not replace the first.
        ThrowExceptionOnInvalidDedupeStatus = true,
        LoggerFactory = loggers,
    };

    /// <summary>The machine and the HTTP port: stable across restarts of one host, distinct between hosts on a machine.</summary>
    private static string DefaultWorkerId(IConfiguration configuration)
    {
        var urls = configuration["urls"] ?? "";
        var port = urls.Split(':', ';').LastOrDefault(p => int.TryParse(p.TrimEnd('/'), out _))?.TrimEnd('/') ?? "";
        return port is "" or "0" ? $"{Environment.MachineName}-{Environment.ProcessId}" : $"{Environment.MachineName}-{port}";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Durable Task engine started: task hub {TaskHub}, worker {WorkerId}, {PartitionCount} partitions")]
        public static partial void Started(ILogger logger, string taskHub, string workerId, int partitionCount);
    }
}
