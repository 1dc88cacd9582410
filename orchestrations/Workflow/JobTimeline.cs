using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>A job's phase timings and its custom status, kept in one place and shown on the orchestration.</summary>
/// <remarks>
/// <para>
/// Phases are timed by the orchestration's clock: beginning one ends the one before, and the timings of the phases
/// that ended travel with the status, the manifest and a continued execution (<see cref="VaceJobResume"/>).
/// </para>
/// <para>
/// Every change of the status is shown at once (<see cref="Show(VaceJobStatus)"/>), so the custom status a person
/// watches is the one the history records, on every replay alike.
/// </para>
/// </remarks>
internal sealed class JobTimeline
{
    private readonly TaskOrchestrationContext _context;
    private readonly Dictionary<string, PhaseTiming> _phases;
    private string? _phase;

    /// <summary>Starts a job's timeline, or picks up the one a continued execution carries.</summary>
    public JobTimeline(TaskOrchestrationContext context, VaceJobRequest job)
    {
        _context = context;
        _phases = job.Resume is { } resume ? new(resume.Phases) : [];
        Status = job.Resume?.Status ?? new() { Warnings = StatusWarnings(job) };
        _phase = job.Resume is null
            ? null
            : (job.Resume.Reported is null ? VaceJobPhase.Generating : VaceJobPhase.AwaitingBilledTask).ToString();
        PhaseStarted = job.Resume?.PhaseStarted ?? default;
    }

    /// <summary>The status last shown (or kept, see <see cref="KeepWarnings"/>).</summary>
    public VaceJobStatus Status { get; private set; }

    /// <summary>The phases that ended, each with its start and end.</summary>
    public IReadOnlyDictionary<string, PhaseTiming> Phases => _phases;

    /// <summary>When the current phase began.</summary>
    public DateTime PhaseStarted { get; private set; }

    /// <summary>The warnings the custom status shows: at most 20, each cut to 300 characters.</summary>
    /// <remarks>So the status stays far below the engine's 16 KB limit whatever the document (the manifest keeps
    /// them all).</remarks>
    public static string[] StatusWarnings(VaceJobRequest job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var shown = job.Warnings.Take(20)
            .Select(w => $"{w.Path}: {w.Message}")
            .Select(w => w.Length <= 300 ? w : w[..297] + "...")
            .ToList();
        if (job.Warnings.Count > shown.Count)
        {
            shown.Add($"and {job.Warnings.Count - shown.Count} more warnings (see the manifest)");
        }

        return [.. shown];
    }

    /// <summary>Ends the current phase and begins <paramref name="phase"/>, showing it.</summary>
    public void Begin(VaceJobPhase phase)
    {
        End();
        _phase = phase.ToString();
        PhaseStarted = _context.CurrentUtcDateTime;
        Show(Status with { Phase = phase });
    }

    /// <summary>Ends the current phase, if any, recording its timing.</summary>
    public void End()
    {
        if (_phase is not null)
        {
            _phases[_phase] = new PhaseTiming(PhaseStarted, _context.CurrentUtcDateTime);
            _phase = null;
        }
    }

    /// <summary>Shows <paramref name="status"/> with the phases that ended and when the current one began.</summary>
    public void Show(VaceJobStatus status)
    {
        Status = status with
        {
            Phases = new Dictionary<string, PhaseTiming>(_phases),
            PhaseStartedAt = _phase is null ? null : PhaseStarted,
        };
        _context.SetCustomStatus(Status);
    }

    /// <summary>Shows the status as <paramref name="change"/> makes it from the one last shown.</summary>
    public void Show(Func<VaceJobStatus, VaceJobStatus> change) => Show(change(Status));

    /// <summary>Keeps the warnings of <paramref name="job"/> in the status, shown with its next change.</summary>
    public void KeepWarnings(VaceJobRequest job) => Status = Status with { Warnings = StatusWarnings(job) };
}
