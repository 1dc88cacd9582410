namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// A batch's custom status and, once it ended, its output: its state, counts by outcome, how many lines it started,
/// and — after a cancel — how many tasks were already running at DashScope (billed, followed to their end).
/// </summary>
public sealed record BatchStatus(
    string State,
    BatchCounts Counts,
    int Lines,
    int Started,
    DateTime CreatedAt,
    DateTime? EndedAt = null,
    int? RunningAtCancel = null);
