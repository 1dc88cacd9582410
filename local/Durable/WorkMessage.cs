using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// A queue message of the runtime. Control messages (start, results, timers, terminate) drive an instance's
/// orchestrator; work-item messages run an activity.
/// </summary>
internal sealed record WorkMessage
{
    public required string Id { get; init; }

    public required WorkMessageKind Kind { get; init; }

    public required string InstanceId { get; init; }

    public int TaskId { get; init; } = -1;

    /// <summary>An activity result inline (small ones).</summary>
    public string? Data { get; init; }

    /// <summary>The payload blob holding an activity result too large for a queue message.</summary>
    public string? DataBlob { get; init; }

    public ActivityFailureDetails? Failure { get; init; }

    /// <summary>When a timer is due; a message can wait at most the queue's longest visibility, so long timers are chained.</summary>
    public DateTime FireAt { get; init; }

    public string? Reason { get; init; }

    public bool IsControl => Kind != WorkMessageKind.RunActivity;
}

internal enum WorkMessageKind
{
    Start,
    ActivityCompleted,
    ActivityFailed,
    TimerFired,
    Terminate,
    RunActivity,
}
