using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>The custom status of a running job: what a person watching it wants to know.</summary>
public sealed record VaceJobStatus
{
    public VaceJobPhase Phase { get; init; }

    /// <summary>When the current phase began (from the orchestration's clock); null once the job has ended.</summary>
    public DateTime? PhaseStartedAt { get; init; }

    /// <summary>
    /// The phases that ended, each with its start and end: the job's timeline. One entry per phase name, so it stays
    /// small whatever the job does (a phase run twice keeps its last timing, as the manifest does).
    /// </summary>
    public IReadOnlyDictionary<string, PhaseTiming> Phases { get; init; } = new Dictionary<string, PhaseTiming>();

    public string? TaskId { get; init; }

    public string? TaskStatus { get; init; }

    public int PollCount { get; init; }

    public DateTime? LastPolledAt { get; init; }

    public DateTime? SlotAcquiredAt { get; init; }

    /// <summary>While waiting for a slot: how many jobs are ahead (0 = next).</summary>
    public int? QueuePosition { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>While polls cannot reach DashScope: the last error. The job waits on, backing off.</summary>
    public string? Outage { get; init; }

    /// <summary>While polls cannot reach DashScope: since when.</summary>
    public DateTime? OutageSince { get; init; }

    /// <summary>
    /// The job's outcome, reported already, while the orchestration still follows a billed task it could not cancel
    /// (<see cref="VaceJobPhase.AwaitingBilledTask"/>); its warnings are in <see cref="Warnings"/>.
    /// </summary>
    public VaceJobResult? Outcome { get; init; }
}
