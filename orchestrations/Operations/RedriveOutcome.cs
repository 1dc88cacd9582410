using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Operations;

/// <summary>
/// What a re-drive did: <see cref="Found"/> false for no such message; else <see cref="Requeued"/> when the document
/// (or its replacement) is valid and went back on the jobs queue, leaving the poison queue — or not, with
/// <see cref="Errors"/> saying why, and the message stays as it was.
/// </summary>
public sealed record RedriveOutcome(bool Found, bool Requeued, string? JobId, IReadOnlyList<JobIssue> Errors)
{
    public static readonly RedriveOutcome NotFound = new(false, false, null, []);
}
