using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// <c>result.json</c>, written beside the video (or alone, for a job that failed): the request, the warnings, the
/// result, and when each phase began and ended.
/// </summary>
public sealed record VaceJobManifest
{
    public required string JobId { get; init; }

    /// <summary>The DashScope request that was (or would have been) submitted.</summary>
    public JsonObject? Request { get; init; }

    public required VaceJobResult Result { get; init; }

    public IReadOnlyList<JobIssue> Warnings { get; init; } = [];

    /// <summary>Phase name → [start, end] in UTC, from the orchestration's replay-safe clock.</summary>
    public IReadOnlyDictionary<string, PhaseTiming> Phases { get; init; } = new Dictionary<string, PhaseTiming>();
}

/// <summary>When a phase started and ended, and how long it took.</summary>
public sealed record PhaseTiming(DateTime Started, DateTime Ended)
{
    public double Seconds => (Ended - Started).TotalSeconds;
}
