using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations;

/// <summary>Registers the host-independent services of the workflow.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds the DashScope options (section <c>DashScope</c>, validated at start) and the typed
    /// <see cref="DashScopeClient"/>.
    /// </summary>
    public static IServiceCollection AddVaceOrchestrations(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<DashScopeOptions>()
            .BindConfiguration(DashScopeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient<DashScopeClient>((provider, http) =>
            {
                var options = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value;
                http.BaseAddress = options.EffectiveBaseUrl;

                // Each attempt has its own timeout (DashScopeOptions.RequestTimeout) inside the retry pipeline.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                ConnectTimeout = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value.ConnectTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),

                // A redirect would carry the Bearer key to another address.
                AllowAutoRedirect = false,
            });
        return services;
    }
}
