using System.Globalization;
using Microsoft.AspNetCore.Builder;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// The whole embedded host (intake listeners, engine, activities, HTTP API) on the benchmark's Azurite and simulator,
/// in a task hub of its own, logging warnings only; the settings given override these.
/// </summary>
internal static class BenchHost
{
    public static async Task<WebApplication> StartAsync(string storage, RunningSimulator simulator, IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage,
            ["DashScope:BaseUrl"] = simulator.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = simulator.Options.ApiKey,
            ["Vace:AllowLoopbackUrls"] = "true",
            ["Durable:TaskHub"] = "bench" + Guid.NewGuid().ToString("N")[..8],
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            configuration[key] = value;
        }

        var host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], configuration);
        await host.StartAsync();
        return host;
    }

    /// <summary>Seconds as a configuration value (a TimeSpan).</summary>
    public static string Span(double seconds) => TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
}
