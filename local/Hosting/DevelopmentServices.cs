using Microsoft.Extensions.Configuration;
using VaceFunctions.DashScopeSimulator;

namespace VaceFunctions.Local.Hosting;

/// <summary>
/// What a laptop lacks, started on demand: Azurite when no <c>AzureWebJobsStorage</c> is configured, and the
/// DashScope simulator when neither <c>DashScope:ApiKey</c> nor <c>DashScope:BaseUrl</c> is. Their settings come
/// back as configuration overrides. Loopback stays closed to jobs: the simulator becomes the DashScope base URL and
/// Azurite the storage account, whose exact origins alone the media probe and output copy may reach (see
/// <c>UrlGuard</c>); callbacks may not. With the simulator, intake substitutes its sample media for the documented
/// example media (<see cref="SimulatorBaseUrlKey"/>), so every documented request runs offline, unchanged, from any source.
/// Given a data location, both keep their data there, so jobs survive a restart of the host, however it ended: Azurite
/// its storage, the simulator its tasks and port (<see cref="SimulatorStateFileName"/>), as the real service would.
/// </summary>
public sealed class DevelopmentServices : IAsyncDisposable
{
    /// <summary>
    /// The setting that names a simulator whose sample media intake substitutes for the documented example media
    /// (<see cref="SampleDocuments.SimulatorMedia"/>); set when the simulator is started here.
    /// </summary>
    public const string SimulatorBaseUrlKey = "Simulator:BaseUrl";

    /// <summary>The simulator's state file in the data location.</summary>
    public const string SimulatorStateFileName = "simulator.json";

    private readonly List<IAsyncDisposable> _started = [];

    private DevelopmentServices()
    {
    }

    /// <summary>Settings that point the host at what was started.</summary>
    public Dictionary<string, string?> Overrides { get; } = [];

    public bool UsesSimulator { get; private set; }

    public RunningSimulator? Simulator { get; private set; }

    /// <summary>True when a host with this configuration runs the simulator: it names neither a DashScope key nor a base URL.</summary>
    public static bool StartsSimulator(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return string.IsNullOrEmpty(configuration["DashScope:ApiKey"]) && string.IsNullOrEmpty(configuration["DashScope:BaseUrl"]);
    }

    /// <param name="configuration">The host's configuration so far.</param>
    /// <param name="dataLocation">
    /// Where a started Azurite (on the default ports) and simulator keep their data; null keeps both in memory, Azurite on free ports.
    /// </param>
    /// <param name="simulator">Adjusts a started simulator (the demo shortens its task durations).</param>
    /// <param name="cancellationToken">Stops the start.</param>
    public static async Task<DevelopmentServices> StartAsync(
        IConfiguration configuration, string? dataLocation, Action<SimulatorOptions>? simulator = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var services = new DevelopmentServices();
        try
        {
            if (string.IsNullOrEmpty(configuration["AzureWebJobsStorage"]))
            {
                if (dataLocation is not null && await AzuriteProcess.IsDefaultRunningAsync(cancellationToken))
                {
                    services.Overrides["AzureWebJobsStorage"] = AzuriteProcess.DefaultConnectionStringFor(dataLocation);
                }
                else
                {
                    var azurite = await AzuriteProcess.StartAsync(dataLocation, cancellationToken);
                    services._started.Add(azurite);
                    services.Overrides["AzureWebJobsStorage"] = azurite.ConnectionString;
                }
            }

            if (StartsSimulator(configuration))
            {
                var running = await SimulatorHost.StartAsync(
                    options =>
                    {
                        if (dataLocation is not null)
                        {
                            options.StateFile = Path.Combine(dataLocation, SimulatorStateFileName);
                        }

                        simulator?.Invoke(options);
                    },
                    cancellationToken: cancellationToken);
                services._started.Add(running);
                services.Simulator = running;
                services.UsesSimulator = true;
                services.Overrides["DashScope:BaseUrl"] = running.BaseUrl.ToString();
                services.Overrides["DashScope:ApiKey"] = running.Options.ApiKey;
                services.Overrides[SimulatorBaseUrlKey] = running.BaseUrl.ToString();
            }

            return services;
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var started in Enumerable.Reverse(_started))
        {
            await started.DisposeAsync();
        }

        _started.Clear();
    }
}
