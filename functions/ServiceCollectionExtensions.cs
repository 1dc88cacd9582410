using Azure.Core;
using Azure.Core.Serialization;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Functions;

/// <summary>Registers the services of the Functions app.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds what the triggers and activities need: storage clients for <c>AzureWebJobsStorage</c> (a connection
    /// string, or identity-based <c>AzureWebJobsStorage__accountName</c> or <c>__blobServiceUri</c> and
    /// <c>__queueServiceUri</c>, with an optional <c>__clientId</c> of a user-assigned identity), the workflow's services and their telemetry's exporters (<see cref="VaceTelemetryExport"/>), the queue options, and the workflow's JSON options for every
    /// orchestration and activity payload.
    /// </summary>
    public static IServiceCollection AddVaceFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var (blobs, queues) = StorageClients(configuration);
        services.AddSingleton(blobs);
        services.AddSingleton(queues);
        services.AddVaceOrchestrations();

        // The Functions host's trace context (its invocation spans) and resource (the app's name) for every exporter.
        services.AddVaceTelemetryExport(configuration, "VaceFunctions").UseFunctionsWorkerDefaults();
        if (ApplicationInsightsCredential.FromAuthenticationString(configuration[ApplicationInsightsCredential.SettingName]) is { } credential)
        {
            // Application Insights has local authentication off: telemetry without the identity's token is refused.
            services.Configure<AzureMonitorExporterOptions>(exporter => exporter.Credential = credential);
        }

        services.AddOptions<QueueIntakeOptions>().BindConfiguration(QueueIntakeOptions.SectionName);
        services.AddOptions<InboxOptions>()
            .BindConfiguration(InboxOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.UseWorkflowJson();
        services.Configure<WorkerOptions>(worker => worker.Serializer = new JsonObjectSerializer(WorkflowJson.Options));
        return services;
    }

    internal static (BlobServiceClient Blobs, QueueServiceClient Queues) StorageClients(IConfiguration configuration)
    {
        if (configuration["AzureWebJobsStorage"] is { Length: > 0 } connectionString)
        {
            return (new BlobServiceClient(connectionString, UploadTimeoutPolicy.BlobClientOptions()), new QueueServiceClient(connectionString));
        }

        var identity = configuration.GetSection("AzureWebJobsStorage");
        TokenCredential credential = identity["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
        return (new BlobServiceClient(ServiceUri(identity, "blob"), credential, UploadTimeoutPolicy.BlobClientOptions()),
            new QueueServiceClient(ServiceUri(identity, "queue"), credential));
    }

    /// <summary>
    /// A storage service's endpoint as the Functions host finds it: <c>AzureWebJobsStorage__{service}ServiceUri</c>
    /// (sovereign clouds, custom DNS), else the public cloud's endpoint of <c>AzureWebJobsStorage__accountName</c>.
    /// </summary>
    private static Uri ServiceUri(IConfigurationSection identity, string service)
    {
        if (identity[$"{service}ServiceUri"] is { Length: > 0 } configured)
        {
            return Uri.TryCreate(configured, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                ? uri
                : throw new InvalidOperationException($"AzureWebJobsStorage__{service}ServiceUri must be an absolute https URL.");
        }

        var account = identity["accountName"] ?? throw new InvalidOperationException(
            $"Set AzureWebJobsStorage (a connection string), or AzureWebJobsStorage__accountName or __{service}ServiceUri (identity-based).");
        return new Uri($"https://{account}.{service}.core.windows.net");
    }
}
