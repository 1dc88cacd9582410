namespace VaceFunctions.Orchestrations.Batches;

/// <summary>A batch's lines by outcome: its jobs' (as <c>GET /api/jobs/{id}</c> reports them) and its rejected lines.</summary>
public sealed record BatchCounts(
    int Waiting = 0, int Running = 0, int Succeeded = 0, int Failed = 0, int Canceled = 0, int TimedOut = 0, int Rejected = 0)
{
    /// <summary>Whether every line has an outcome: no job waits or runs.</summary>
    public bool Ended => Waiting == 0 && Running == 0;

    public int Total => Waiting + Running + Succeeded + Failed + Canceled + TimedOut + Rejected;
}
