using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// Everything stored about one instance, as one blob: its status and result, and the history its orchestrator
/// is replayed from. Written only with the ETag it was read with.
/// </summary>
internal sealed class InstanceState
{
    public required string InstanceId { get; init; }

    public required string Name { get; init; }

    public OrchestrationRuntimeStatus Status { get; set; }

    public string? Input { get; init; }

    public string? Output { get; set; }

    public ActivityFailureDetails? Failure { get; set; }

    public string? CustomStatus { get; set; }

    public DateTime CreatedAt { get; init; }

    public DateTime LastUpdatedAt { get; set; }

    public List<HistoryEvent> History { get; init; } = [];

    /// <summary>
    /// The control messages already applied (bounded), each with the tasks its episode scheduled: a message
    /// delivered again after a crash re-sends those tasks instead of being applied twice.
    /// </summary>
    public List<ProcessedMessage> Processed { get; init; } = [];

    public bool IsTerminal => Status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
}

internal sealed record ProcessedMessage(string MessageId, IReadOnlyList<int> ScheduledTaskIds);
