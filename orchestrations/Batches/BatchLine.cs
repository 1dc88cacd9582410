using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// One line of a batch as intake judged it: its 1-based line number in the file, its job id, and the job document
/// (with that id) when it can run, else null with every error.
/// </summary>
public sealed record BatchLine(int Line, string JobId, JsonObject? Document, IReadOnlyList<JobIssue> Errors)
{
    public bool Valid => Document is not null;
}
