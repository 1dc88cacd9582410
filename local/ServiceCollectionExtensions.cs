using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VaceFunctions.Local.Durable;

namespace VaceFunctions.Local;

/// <summary>Registers the services of the local host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds the embedded durable runtime: options (section <c>Durable</c>, validated at start), its storage, the
    /// <see cref="DurableClient"/> and the <see cref="DurableWorker"/> hosted service. The caller registers the
    /// <c>BlobServiceClient</c> and <c>QueueServiceClient</c> of the storage account, and the orchestrators and
    /// activities in <paramref name="register"/>.
    /// </summary>
    public static IServiceCollection AddEmbeddedDurableRuntime(this IServiceCollection services, Action<DurableRegistry> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        var registry = new DurableRegistry();
        register(registry);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<DurableOptions>()
            .BindConfiguration(DurableOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(registry);
        services.AddSingleton<DurableStore>();
        services.AddSingleton(provider => new DurableClient(
            provider.GetRequiredService<DurableStore>(), provider.GetRequiredService<DurableRegistry>(), provider.GetRequiredService<TimeProvider>()));
        services.AddHostedService<DurableWorker>();
        return services;
    }
}
