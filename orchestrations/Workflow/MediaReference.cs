namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// One input URL of a job, where it sits in the document and what it must be; <paramref name="Owned"/> when it is a
/// plain URL of the job's own blob, signed only when fetched (<see cref="IO.OwnedMediaUrls"/>).
/// </summary>
public sealed record MediaReference(string Path, string Url, MediaKind Kind, bool Owned = false);
