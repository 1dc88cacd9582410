using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// The orchestrators and activities the embedded runtime can run, by name. Each run gets a fresh instance
/// from dependency injection.
/// </summary>
public sealed class DurableRegistry
{
    private readonly Dictionary<string, Func<IServiceProvider, IOrchestrationContext, string?, Task<string?>>> _orchestrators = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<IServiceProvider, string?, CancellationToken, Task<string?>>> _activities = new(StringComparer.Ordinal);

    public DurableRegistry AddOrchestrator<TOrchestrator, TInput, TOutput>(string name)
        where TOrchestrator : class, IOrchestrator<TInput, TOutput>
    {
        _orchestrators.Add(name, async (services, context, input) =>
        {
            var orchestrator = ActivatorUtilities.CreateInstance<TOrchestrator>(services);
            return DurableJson.Serialize(await orchestrator.RunAsync(context, DurableJson.Deserialize<TInput>(input)!));
        });
        return this;
    }

    public DurableRegistry AddActivity<TActivity, TInput, TOutput>(string name)
        where TActivity : class, IActivity<TInput, TOutput>
    {
        _activities.Add(name, async (services, input, cancellationToken) =>
        {
            var activity = ActivatorUtilities.CreateInstance<TActivity>(services);
            return DurableJson.Serialize(await activity.RunAsync(DurableJson.Deserialize<TInput>(input)!, cancellationToken));
        });
        return this;
    }

    public bool HasOrchestrator(string name) => _orchestrators.ContainsKey(name);

    internal Func<IServiceProvider, IOrchestrationContext, string?, Task<string?>> Orchestrator(string name) =>
        _orchestrators.TryGetValue(name, out var run) ? run : throw new InvalidOperationException($"No orchestrator named '{name}' is registered.");

    internal Func<IServiceProvider, string?, CancellationToken, Task<string?>>? Activity(string name) =>
        _activities.GetValueOrDefault(name);
}
