using Microsoft.Extensions.Options;

namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// Builds the simulator as a web application: standalone (<c>dotnet run --project tools/DashScopeSimulator</c>,
/// on http://127.0.0.1:5080 unless <c>--urls</c> says otherwise) or embedded in tests and the local host.
/// </summary>
public static class SimulatorHost
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Simulator:RunningDuration=00:00:30</c>, …).</param>
    /// <param name="configure">Changes to the options after configuration is bound.</param>
    /// <param name="time">The clock of task lifecycles and URL expiry; tests pass one they control.</param>
    public static WebApplication Build(string[] args, Action<SimulatorOptions>? configure = null, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .Configure(options => configure?.Invoke(options));
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton<SimulatorState>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = SimulatorEndpoints.MaxBodyBytes + 1);

        var app = builder.Build();
        app.MapSimulatorEndpoints();
        return app;
    }

    /// <summary>Starts a simulator on a free loopback port, quiet except for warnings.</summary>
    public static async Task<RunningSimulator> StartAsync(
        Action<SimulatorOptions>? configure = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var app = Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], configure, time);
        await app.StartAsync(cancellationToken);
        return new RunningSimulator(app);
    }
}

/// <summary>A started simulator: its address, its state (counters, faults), and a way to stop it.</summary>
public sealed class RunningSimulator(WebApplication app) : IAsyncDisposable
{
    public Uri BaseUrl { get; } = new(app.Urls.First().TrimEnd('/') + "/");

    public SimulatorState State { get; } = app.Services.GetRequiredService<SimulatorState>();

    public SimulatorOptions Options => app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
