namespace VaceFunctions.Orchestrations.Admission;

/// <summary>What giving back a slot did: whether the job held one (or a place in line), and the waiting jobs to wake.</summary>
/// <param name="Held">The job held a slot or a place in line.</param>
/// <param name="Wake">The first jobs in line, as many as slots are free now: they may take one at their next ask.</param>
public sealed record SlotRelease(bool Held, IReadOnlyList<string> Wake);
