namespace VaceFunctions.Orchestrations.Admission;

/// <summary>The answer to a slot request: granted (and since when), or the number of jobs ahead in line.</summary>
public sealed record SlotGrant(bool Granted, int Position, DateTime? AcquiredAt);
