using System.Collections.Concurrent;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace VaceFunctions.Functions.Tests;

/// <summary>The app's own telemetry reaches an Application Insights component with local authentication off.</summary>
public sealed class ApplicationInsightsCredentialTests
{
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://127.0.0.1:9/";

    [Fact]
    public void Exporters_AreBuiltWithTheManagedIdentityTheAuthenticationStringNames()
    {
        var built = Exporters(("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "ClientId=5e1f0c5a-0000-4000-8000-000000000001;Authorization=AAD"));

        Assert.NotEmpty(built);
        Assert.All(built, options =>
        {
            Assert.Equal(ConnectionString, options.ConnectionString);
            Assert.IsType<ManagedIdentityCredential>(options.Credential);
        });
    }

    [Fact]
    public void Exporters_WithoutAnAuthenticationString_HaveNoCredential()
    {
        var built = Exporters();

        Assert.NotEmpty(built);
        Assert.All(built, options => Assert.Null(options.Credential));
    }

    [Theory]
    [InlineData("ClientId=5e1f0c5a-0000-4000-8000-000000000001;Authorization=AAD", true)]
    [InlineData(" authorization = aad ; clientid = 5e1f0c5a-0000-4000-8000-000000000001 ", true)]
    [InlineData("Authorization=AAD", true)]
    [InlineData("ClientId=5e1f0c5a-0000-4000-8000-000000000001", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void FromAuthenticationString_IsAManagedIdentityOnlyForMicrosoftEntraAuthorization(string? setting, bool credential) =>
        Assert.Equal(credential, ApplicationInsightsCredential.FromAuthenticationString(setting) is ManagedIdentityCredential);

    /// <summary>
    /// The options the app's Azure Monitor exporters are built from, captured as the tracer and meter providers build
    /// them (both read the default-named options through <c>IOptionsMonitor</c>, so they share one instance).
    /// </summary>
    private static ConcurrentBag<AzureMonitorExporterOptions> Exporters(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["DashScope:ApiKey"] = "k",
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString,
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var built = new ConcurrentBag<AzureMonitorExporterOptions>();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddVaceFunctions(configuration);
        services.PostConfigure<AzureMonitorExporterOptions>(built.Add);
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<TracerProvider>();
        _ = provider.GetRequiredService<MeterProvider>();
        return built;
    }
}
