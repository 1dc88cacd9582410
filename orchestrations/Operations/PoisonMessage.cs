using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Operations;

/// <summary>
/// A message of the jobs queue's poison queue, with what is known of why it is there. <see cref="Reason"/> is
/// <c>rejected</c> when intake filed a rejection record for it (<see cref="Errors"/> and <see cref="RejectedAt"/> are the
/// record's), or <c>failed</c> when there is none: it kept failing for another cause until it was poisoned (the host's
/// log says why; <see cref="Errors"/> then holds what validation finds in it now, if anything). <see cref="DequeueCount"/>
/// counts receipts from the poison queue itself (by <c>show</c>, <c>redrive</c> and <c>delete</c>), not the attempts
/// before it was poisoned. <see cref="Document"/> is given by <c>show</c> only.
/// </summary>
public sealed record PoisonMessage(
    string Id,
    DateTimeOffset? InsertedOn,
    long DequeueCount,
    string JobId,
    string Reason,
    DateTime? RejectedAt,
    IReadOnlyList<JobIssue> Errors,
    string? Document = null)
{
    public const string Rejected = "rejected";

    public const string Failed = "failed";
}
