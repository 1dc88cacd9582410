using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Local.TestHost;
using VaceFunctions.Local.Workflow;
using VaceFunctions.Orchestrations;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>
/// VACE jobs end to end in one process: the simulator, Azurite, and the embedded runtime with the workflow, each
/// test on its own hub and containers.
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

    public DurableClient Client => _host!.Services.GetRequiredService<DurableClient>();

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
        builder.Services.AddSingleton(new BlobServiceClient(storage));
        builder.Services.AddSingleton(new QueueServiceClient(storage));
        builder.Services.AddVaceOrchestrations();
        builder.Services.AddEmbeddedDurableRuntime(registry => registry.AddVaceWorkflow());
        builder.Services.Configure<DurableOptions>(o =>
        {
            o.HubName = hub;
            o.MaxPollInterval = TimeSpan.FromMilliseconds(100);
        });
        if (!runWorker)
        {
            builder.Services.RemoveAll<IHostedService>();
        }

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

    /// <summary>Validates a document and starts its job, as intake does.</summary>
    public async Task<string> StartAsync(JsonObject document)
    {
        var validation = JobValidator.Validate(document, new JobValidationOptions { Region = null });
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors));
        var options = Services.GetRequiredService<IOptions<WorkflowOptions>>().Value;
        var request = VaceJobRequest.Create(validation.Job!, options);
        await Client.StartAsync(VaceJobOrchestrator.Name, request.JobId, request);
        return request.JobId;
    }

    public async Task<VaceJobResult> WaitAsync(string jobId, DurableClient? client = null)
    {
        var status = await (client ?? Client).WaitForCompletionAsync(jobId, TimeSpan.FromMinutes(3));
        Assert.True(status.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{jobId}: {status.RuntimeStatus} {status.Failure?.ErrorMessage}");
        return status.ReadOutputAs<VaceJobResult>()!;
    }

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
