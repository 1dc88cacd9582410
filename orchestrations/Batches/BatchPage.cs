using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// One page of a batch to start (from <see cref="InboxFolder"/> for an inbox batch), or the extent of a batch to read
/// (pages before <see cref="Page"/>).
/// </summary>
public sealed record BatchPage(
    string BatchId, int Page, IntakeSource Source = IntakeSource.Http, bool Canceling = false, string? InboxFolder = null);
