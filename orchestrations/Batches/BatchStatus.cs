namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// A batch's custom status and, once it ended, its output: its state, counts by outcome, how many lines it started,
/// — after a cancel — how many tasks were already running at DashScope (billed, followed to their end), and the
/// callback receiver's HTTP status (0: it could not be told).
/// </summary>
public sealed record BatchStatus(
    string State,
    BatchCounts Counts,
    int Lines,
    int Started,
    DateTime CreatedAt,
    DateTime? EndedAt = null,
    int? RunningAtCancel = null,
    int? CallbackStatus = null);
