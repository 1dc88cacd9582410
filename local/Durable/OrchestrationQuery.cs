namespace VaceFunctions.Local.Durable;

/// <summary>Which instances to list or purge: by status and by creation time.</summary>
public sealed record OrchestrationQuery
{
    /// <summary>Only these statuses; all when empty.</summary>
    public IReadOnlyCollection<OrchestrationRuntimeStatus> Statuses { get; init; } = [];

    public DateTime? CreatedFrom { get; init; }

    public DateTime? CreatedTo { get; init; }

    public bool Matches(OrchestrationStatus status) =>
        (Statuses.Count == 0 || Statuses.Contains(status.RuntimeStatus))
        && (CreatedFrom is null || status.CreatedAt >= CreatedFrom)
        && (CreatedTo is null || status.CreatedAt <= CreatedTo);
}
