namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>One input URL of a job, where it sits in the document and what it must be.</summary>
public sealed record MediaReference(string Path, string Url, MediaKind Kind);
