using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using VaceFunctions.Local.Engine;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Local.Http;
using VaceFunctions.Local.Intake;
using VaceFunctions.Local.Operations;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Orchestrations;
using VaceFunctions.Orchestrations.Health;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Local;

/// <summary>Registers the services of the local host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds everything the local host runs: storage clients for <c>AzureWebJobsStorage</c>, the workflow's services and
    /// their telemetry's exporters (<see cref="VaceTelemetryExport"/>),
    /// Microsoft's Durable Task engine with the VACE workflow, job intake (substituting the simulator's sample media for
    /// the documented ones when <see cref="DevelopmentServices.SimulatorBaseUrlKey"/> names a simulator), the queue and
    /// blob-inbox listeners, the retention purge, the readiness checks, and the HTTP API's services (its keyring and rate limiter).
    /// </summary>
    public static IServiceCollection AddVaceLocalHost(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var storage = configuration["AzureWebJobsStorage"];
        if (string.IsNullOrEmpty(storage))
        {
            throw new InvalidOperationException("AzureWebJobsStorage is not set: give a storage connection string (UseDevelopmentStorage=true for Azurite).");
        }

        services.AddSingleton(new BlobServiceClient(storage, UploadTimeoutPolicy.BlobClientOptions()));
        services.AddSingleton(new QueueServiceClient(storage));
        services.AddVaceOrchestrations();
        services.AddVaceTelemetryExport(configuration, "vace");
        services.AddEmbeddedEngine(registry => registry.AddVaceWorkflow());
        services.AddOptions<QueueIntakeOptions>()
            .BindConfiguration(QueueIntakeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<StartJobFromQueue>();
        services.AddOptions<InboxOptions>()
            .BindConfiguration(InboxOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<StartJobFromBlob>();
        services.AddHostedService<InstanceRetentionService>();
        services.AddHealthChecks().AddVaceReadinessChecks(taskHub: true);
        if (Uri.TryCreate(configuration[DevelopmentServices.SimulatorBaseUrlKey], UriKind.Absolute, out var simulator))
        {
            services.AddSingleton(new MediaSubstitution(SampleDocuments.SimulatorMedia(simulator)));
        }

        if (!string.IsNullOrEmpty(configuration["Vace:Http:ApiKey"]))
        {
            // A plain key in configuration is what the hashed keys replace; starting without it would lock its clients out unannounced.
            throw new InvalidOperationException(
                "Vace:Http:ApiKey is no longer read: the HTTP API takes hashed keys, one per client. Run `vace key new --client NAME`, "
                + "set the Vace:Http:Keys:NAME line it prints, give the key to the client, and remove Vace:Http:ApiKey.");
        }

        services.AddSingleton<ApiKeyring>();
        services.AddRateLimiter(JobsHttpApi.ConfigureRateLimiter);
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        return services;
    }

    /// <summary>
    /// Adds Microsoft's Durable Task engine in this process: the <see cref="EngineSidecar"/> (the Azure Storage backend
    /// behind the gRPC sidecar, options in section <c>Durable</c>), a <c>DurableTaskWorker</c> with the tasks
    /// <paramref name="register"/> adds, and a <c>DurableTaskClient</c>, both connected to the sidecar over a private
    /// socket and both using the workflow's JSON options. The sidecar is registered first so it stops last. Without
    /// <paramref name="runWorker"/> the process only starts and reads instances that other hosts run.
    /// </summary>
    public static IServiceCollection AddEmbeddedEngine(this IServiceCollection services, Action<DurableTaskRegistry> register, bool runWorker = true)
    {
        ArgumentNullException.ThrowIfNull(register);
        var endpoint = new EngineEndpoint(runWorker);
        services.AddSingleton(endpoint);
        services.AddOptions<EngineOptions>()
            .BindConfiguration(EngineOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<EngineSidecar>();
        if (runWorker)
        {
            services.AddDurableTaskWorker(worker =>
            {
                worker.AddTasks(register);
                worker.UseGrpc(endpoint.Channel);
            });
        }

        services.AddDurableTaskClient(client => client.UseGrpc(endpoint.Channel));
        services.UseWorkflowJson();
        return services;
    }
}
