using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.Http;
using VaceFunctions.Local.Intake;
using VaceFunctions.Local.Workflow;
using VaceFunctions.Orchestrations;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Local;

/// <summary>Registers the services of the local host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds everything the local host runs: storage clients for <c>AzureWebJobsStorage</c>, the workflow's services,
    /// the embedded durable runtime with the VACE workflow, job intake, the queue and blob-inbox listeners, and the
    /// HTTP API's services.
    /// </summary>
    public static IServiceCollection AddVaceLocalHost(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var storage = configuration["AzureWebJobsStorage"];
        if (string.IsNullOrEmpty(storage))
        {
            throw new InvalidOperationException("AzureWebJobsStorage is not set: give a storage connection string (UseDevelopmentStorage=true for Azurite).");
        }

        services.AddSingleton(new BlobServiceClient(storage));
        services.AddSingleton(new QueueServiceClient(storage));
        services.AddVaceOrchestrations();
        services.AddEmbeddedDurableRuntime(registry => registry.AddVaceWorkflow());
        services.AddSingleton<IJobStarter, DurableJobStarter>();
        services.AddSingleton<JobIntake>();
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
        services.AddOptions<HttpApiOptions>().BindConfiguration(HttpApiOptions.SectionName);
        services.AddSingleton<JobCanceller>();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        return services;
    }

    /// <summary>
    /// Adds the embedded durable runtime: options (section <c>Durable</c>, validated at start), its storage, the
    /// <see cref="DurableClient"/> and the <see cref="DurableWorker"/> hosted service. The caller registers the
    /// <c>BlobServiceClient</c> and <c>QueueServiceClient</c> of the storage account, and the orchestrators and
    /// activities in <paramref name="register"/>.
    /// </summary>
    public static IServiceCollection AddEmbeddedDurableRuntime(this IServiceCollection services, Action<DurableRegistry> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        var registry = new DurableRegistry();
        register(registry);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<DurableOptions>()
            .BindConfiguration(DurableOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(registry);
        services.AddSingleton<DurableStore>();
        services.AddSingleton(provider => new DurableClient(
            provider.GetRequiredService<DurableStore>(), provider.GetRequiredService<DurableRegistry>(), provider.GetRequiredService<TimeProvider>()));
        services.AddHostedService<DurableWorker>();
        return services;
    }
}
