using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using VaceFunctions.Local.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace VaceFunctions.Local.Hosting;

/// <summary>
/// The embedded host: Microsoft's Durable Task engine with the VACE workflow, the queue listener and the HTTP API (with its
/// OpenAPI document at <c>/openapi/v1.json</c> and the jobs dashboard at <c>/</c>), in one ASP.NET Core application. Configuration: local.settings.json <c>Values</c> (read again when the file changes), then environment variables,
/// then the command line, then the overrides given to <see cref="Build"/>.
/// </summary>
public static class VaceLocalHost
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <summary>
    /// Log categories that say too much at Information for a host's console — every request, every HTTP call, and
    /// the engine's backend every queue, lease and partition move — as defaults the configuration may raise
    /// (<c>Logging__LogLevel__DurableTask=Debug</c>).
    /// </summary>
    private static readonly Dictionary<string, string?> QuietCategories = new()
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:DurableTask"] = "Warning",
    };

    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.Sources.Clear();
        builder.Configuration
            .AddInMemoryCollection(QuietCategories)
            .AddLocalSettings(reloadOnChange: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1024 * 1024);
        builder.Services.AddVaceLocalHost(builder.Configuration);
        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<ApiKeyring>().WarnIfListeningBeyondLoopback(app.Urls));
        app.MapOpenApi();
        app.MapJobsHttpApi();
        app.MapHealthEndpoints();
        app.MapJobsDashboard();
        return app;
    }

    /// <summary>The configuration the host would read, before anything is started (to decide what to start).</summary>
    public static IConfiguration ReadConfiguration(string[] args) =>
        new ConfigurationBuilder().AddLocalSettings().AddEnvironmentVariables().AddCommandLine(args).Build();
}
