using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Durable;

/// <summary>One entry of an instance's history: what the orchestrator did and what happened to it.</summary>
internal sealed record HistoryEvent
{
    public required HistoryEventKind Kind { get; init; }

    /// <summary>The sequence number of an activity or timer within the instance; -1 for other events.</summary>
    public int TaskId { get; init; } = -1;

    /// <summary>The activity name of ActivityScheduled.</summary>
    public string? Name { get; init; }

    /// <summary>JSON: the activity input of ActivityScheduled, or the result of ActivityCompleted.</summary>
    public string? Data { get; init; }

    public ActivityFailureDetails? Failure { get; init; }

    /// <summary>The episode's clock for OrchestratorStarted; the due time for TimerCreated.</summary>
    public DateTime Timestamp { get; init; }
}

internal enum HistoryEventKind
{
    ExecutionStarted,
    OrchestratorStarted,
    ActivityScheduled,
    ActivityCompleted,
    ActivityFailed,
    TimerCreated,
    TimerFired,
}
