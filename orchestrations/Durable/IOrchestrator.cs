namespace VaceFunctions.Orchestrations.Durable;

/// <summary>An orchestrator: deterministic code that schedules activities and timers through its context.</summary>
public interface IOrchestrator<TInput, TOutput>
{
    Task<TOutput> RunAsync(IOrchestrationContext context, TInput input);
}
