using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// Where <c>vace enqueue</c> and <c>vace upload</c> put jobs, found as <c>vace serve</c> finds its storage: the same
/// configuration (<c>AzureWebJobsStorage</c>, <c>Vace__Queue__Name</c>, <c>Vace__Inbox__Container</c>, … from the
/// environment or local.settings.json), and, when no storage account is configured, the Azurite that <c>vace serve</c>
/// runs on the default ports. Documents are checked as that host's intake will check them: for its endpoint's region,
/// or any region when it runs the simulator (no DashScope key or base URL configured).
/// </summary>
internal sealed class IntakeTarget
{
    private readonly IConfiguration _configuration;

    private IntakeTarget(IConfiguration configuration, string connectionString)
    {
        _configuration = configuration;
        Queue = Bind<QueueIntakeOptions>(QueueIntakeOptions.SectionName);
        Inbox = Bind<InboxOptions>(InboxOptions.SectionName);
        Queues = new QueueServiceClient(connectionString);
        Blobs = new BlobServiceClient(connectionString);
    }

    public QueueIntakeOptions Queue { get; }

    public InboxOptions Inbox { get; }

    public QueueServiceClient Queues { get; }

    public BlobServiceClient Blobs { get; }

    /// <summary>The target, or null (with why on <paramref name="error"/>) when there is no storage account to use.</summary>
    public static async Task<IntakeTarget?> FindAsync(TextWriter error, CancellationToken cancellationToken)
    {
        var configuration = VaceLocalHost.ReadConfiguration([]);
        if (configuration["AzureWebJobsStorage"] is { Length: > 0 } configured)
        {
            return new IntakeTarget(configuration, configured);
        }

        if (await AzuriteProcess.IsDefaultRunningAsync(cancellationToken))
        {
            return new IntakeTarget(configuration, AzuriteProcess.DefaultConnectionStringFor(Path.GetFullPath(".azurite")));
        }

        await error.WriteLineAsync(
            "No storage account: AzureWebJobsStorage is not set (environment or local.settings.json) and no Azurite listens on its default ports. Start `vace serve`, or set AzureWebJobsStorage as the host has it.");
        return null;
    }

    /// <summary>The validation options of the host's intake for <paramref name="source"/>.</summary>
    public JobValidationOptions ValidationOptions(IntakeSource source) => ValidationOptions(_configuration, source);

    /// <summary>
    /// The validation options of the intake of a host with this <paramref name="configuration"/> (the region of its
    /// endpoint, its output containers, its callback rules) for <paramref name="source"/>.
    /// </summary>
    public static JobValidationOptions ValidationOptions(IConfiguration configuration, IntakeSource source)
    {
        var dashScope = Bind<DashScopeOptions>(configuration, DashScopeOptions.SectionName);
        if (DevelopmentServices.StartsSimulator(configuration))
        {
            // The host's simulator listens on loopback, an endpoint of no region: it runs either region's model.
            dashScope.BaseUrl = new Uri("http://127.0.0.1/");
        }

        return JobIntake.ValidationOptions(
            source,
            Bind<WorkflowOptions>(configuration, WorkflowOptions.SectionName),
            dashScope,
            Bind<InboxOptions>(configuration, InboxOptions.SectionName));
    }

    private T Bind<T>(string section)
        where T : new() => Bind<T>(_configuration, section);

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new() => configuration.GetSection(section).Get<T>() ?? new T();
}
