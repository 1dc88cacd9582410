using Microsoft.Extensions.Options;

namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// Builds the simulator as a web application: standalone (<c>dotnet run --project tools/DashScopeSimulator</c>,
/// on http://127.0.0.1:5080 unless <c>--urls</c> says otherwise) or embedded in tests and the local host.
/// </summary>
public static partial class SimulatorHost
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

    /// <summary>
    /// Starts a simulator on a free loopback port, quiet except for warnings. One with a
    /// <see cref="SimulatorOptions.StateFile"/> takes the port it had before when that is free, and keeps the port it
    /// gets in the file.
    /// </summary>
    public static async Task<RunningSimulator> StartAsync(
        Action<SimulatorOptions>? configure = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        string[] args = ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"];
        var app = Build(args, configure, time);
        var state = app.Services.GetRequiredService<SimulatorState>();
        if (state.Address is { } address)
        {
            app.Urls.Add(address);
            try
            {
                await app.StartAsync(cancellationToken);
                return new RunningSimulator(app);
            }
            catch (IOException ex)
            {
                // Taken by another process: the tasks carry on elsewhere, but URLs handed out for the old port are lost.
                Log.AddressTaken(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SimulatorHost)), address, ex.Message);
                await app.DisposeAsync();
                app = Build(args, configure, time);
                state = app.Services.GetRequiredService<SimulatorState>();
            }
        }

        await app.StartAsync(cancellationToken);
        if (state.Options.StateFile is { Length: > 0 })
        {
            state.Address = app.Urls.First();
        }

        return new RunningSimulator(app);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9000, Level = LogLevel.Warning, Message = "The simulator cannot listen on {Address} again ({Reason}); it listens on a new port, and video URLs it gave out before are lost")]
        public static partial void AddressTaken(ILogger logger, string address, string reason);
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
