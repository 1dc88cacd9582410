using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.DashScopeSimulator;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using VaceFunctions.Local.Engine;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>
/// VACE jobs end to end in one process: the simulator, Azurite, and the embedded Durable Task engine with the
/// workflow, each test on its own task hub and containers. Without a worker it only starts and reads jobs that host
/// processes run.
/// </summary>
internal sealed class WorkflowHost : IAsyncDisposable
{
    private readonly IHost? _host;

    private WorkflowHost(IHost? host, RunningSimulator simulator, string storage, string hub, string state, string output)
    {
        _host = host;
        Simulator = simulator;
        Storage = storage;
        Hub = hub;
        StateContainer = state;
        OutputContainer = output;
        Blobs = new BlobServiceClient(storage);
    }

    public RunningSimulator Simulator { get; }

    public string Storage { get; }

    public string Hub { get; }

    public string StateContainer { get; }

    public string OutputContainer { get; }

    public BlobServiceClient Blobs { get; }

    public DurableTaskClient Client => _host!.Services.GetRequiredService<DurableTaskClient>();

    public IServiceProvider Services => _host!.Services;

    public static async Task<WorkflowHost> StartAsync(
        Action<SimulatorOptions>? simulator = null, bool runWorker = true, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var running = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(400);
            simulator?.Invoke(o);
        });
        var storage = (await Azurite.GetAsync()).ConnectionString;
        var (hub, state, output) = (Azurite.UniqueName("w"), Azurite.UniqueName("state"), Azurite.UniqueName("out"));

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(TestSettings.Workflow(running.BaseUrl, state, output));
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Configuration["AzureWebJobsStorage"] = storage;
        builder.Services.AddSingleton(new BlobServiceClient(storage));
        builder.Services.AddSingleton(new QueueServiceClient(storage));
        builder.Services.AddVaceOrchestrations();
        builder.Services.AddEmbeddedEngine(registry => registry.AddVaceWorkflow(), runWorker);
        builder.Services.Configure<EngineOptions>(o =>
        {
            o.TaskHub = hub;
            o.MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100);
        });

        var host = builder.Build();
        await host.StartAsync();
        return new WorkflowHost(host, running, storage, hub, state, output);
    }

    /// <summary>A documented sample with its media pointed at the simulator's sample media, and a given id.</summary>
    public JsonObject Sample(string name, string id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load(name), Simulator.BaseUrl);
        document["id"] = id;
        return document;
    }

    public string Media(string name) => new Uri(Simulator.BaseUrl, "media/" + name).ToString();

    /// <summary>Validates a document and starts its job, as intake does (<paramref name="adjust"/> changes its request).</summary>
    public async Task<string> StartAsync(JsonObject document, Func<VaceJobRequest, VaceJobRequest>? adjust = null)
    {
        var validation = JobValidator.Validate(document, Services.GetRequiredService<JobIntake>().ValidationOptions(IntakeSource.Queue));
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors));
        var options = Services.GetRequiredService<IOptions<WorkflowOptions>>().Value;
        var request = VaceJobRequest.Create(validation.Job!, options);
        request = adjust?.Invoke(request) ?? request;
        await Client.ScheduleNewOrchestrationInstanceAsync(VaceJobOrchestrator.Name, request, new StartOrchestrationOptions(request.JobId));
        return request.JobId;
    }

    public async Task<VaceJobResult> WaitAsync(string jobId, TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? TimeSpan.FromMinutes(3));
        var status = await Client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, timeout.Token);
        Assert.True(status.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{jobId}: {status.RuntimeStatus} {status.FailureDetails?.ErrorMessage}");
        return status.ReadOutputAs<VaceJobResult>()!;
    }

    /// <summary>
    /// The environment of a <c>vace serve</c> process that runs this host's jobs: the same storage, task hub,
    /// simulator and containers, its own worker id (keep it across a restart), short visibility timeouts so work
    /// a killed process held is taken up again within seconds, and queue/inbox names of its own.
    /// </summary>
    public Dictionary<string, string?> ProcessSettings(string workerId)
    {
        var settings = TestSettings.Workflow(Simulator.BaseUrl, StateContainer, OutputContainer);
        settings["AzureWebJobsStorage"] = Storage;
        settings["Durable:TaskHub"] = Hub;
        settings["Durable:WorkerId"] = workerId;
        settings["Durable:MaxQueuePollingInterval"] = "00:00:00.100";
        settings["Durable:WorkItemVisibilityTimeout"] = "00:00:05";
        settings["Vace:Queue:Name"] = Azurite.UniqueName("jobs");
        settings["Vace:Inbox:Container"] = Azurite.UniqueName("inbox");
        settings["Logging:LogLevel:Default"] = "Warning";
        return settings;
    }

    /// <summary>Waits until the job shows progress that satisfies <paramref name="reached"/>.</summary>
    public async Task WaitForProgressAsync(string jobId, Func<VaceJobStatus?, bool> reached)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!reached(await ProgressAsync(jobId)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{jobId} never reached the expected progress; last: {await ProgressAsync(jobId)}");
            await Task.Delay(50);
        }
    }

    /// <summary>The SHA-256 (hex) of the job's output blob.</summary>
    public async Task<string> OutputSha256Async(string jobId)
    {
        await using var video = await Blobs.GetBlobContainerClient(OutputContainer).GetBlobClient($"{jobId}/output.mp4").OpenReadAsync();
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(video));
    }

    /// <summary>The workers that own the task hub's control-queue partitions now (the backend's partition table), sorted.</summary>
    public async Task<string[]> PartitionOwnersAsync()
    {
        var partitions = new Azure.Data.Tables.TableClient(Storage, Hub + "Partitions");
        var owners = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var lease in partitions.QueryAsync<Azure.Data.Tables.TableEntity>())
            {
                if (lease.GetString("CurrentOwner") is { Length: > 0 } owner)
                {
                    owners.Add(owner);
                }
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            // No host has started yet.
        }

        return [.. owners];
    }

    /// <summary>The job's progress as its orchestrator last showed it, or null before it showed any.</summary>
    public async Task<VaceJobStatus?> ProgressAsync(string jobId) =>
        await Client.GetInstanceAsync(jobId, getInputsAndOutputs: true) is { SerializedCustomStatus: not null } instance
            ? instance.ReadCustomStatusAs<VaceJobStatus>()
            : null;

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }

        await Simulator.DisposeAsync();
    }
}
