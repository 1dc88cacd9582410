using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>One line of a stored batch: its job id and the page it starts in, or the errors that keep it from running.</summary>
public sealed record BatchIndexEntry(int Line, string JobId, int? Page, IReadOnlyList<JobIssue> Errors);
