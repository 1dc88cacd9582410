using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

/// <summary>The client as the hosts register it, resilience pipeline included, over a stub instead of the network.</summary>
internal static class StubbedDashScope
{
    /// <summary>The name of the client's standard resilience options.</summary>
    public const string ResilienceOptionsName = "DashScopeClient-standard";

    public static DashScopeClient Client(HttpMessageHandler handler, params (string Key, string Value)[] settings) =>
        Services(handler, settings).BuildServiceProvider().GetRequiredService<DashScopeClient>();

    /// <param name="handler">Answers in place of the service.</param>
    /// <param name="settings">Changes to the defaults: key <c>sk-unit</c>, 1 retry, no retry delay.</param>
    public static IServiceCollection Services(HttpMessageHandler handler, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = "https://dashscope.example/",
            ["DashScope:ApiKey"] = "sk-unit",
            ["DashScope:MaxRetries"] = "1",
            ["DashScope:RetryDelay"] = "00:00:00",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
            .AddVaceOrchestrations();
        services.AddHttpClient<DashScopeClient>().ConfigurePrimaryHttpMessageHandler(() => handler);
        return services;
    }
}
