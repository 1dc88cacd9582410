using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>The outcome of reading a document: the JSON object, or the one error that prevented reading it.</summary>
public sealed record JobReadResult(JsonObject? Document, JobIssue? Error)
{
    [MemberNotNullWhen(true, nameof(Document))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Document is not null;
}
