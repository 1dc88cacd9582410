namespace VaceFunctions.DashScopeSimulator;

/// <summary>What the simulator was asked, so tests can prove "submitted once" and "never above 2 concurrent".</summary>
public sealed record SimulatorCounters
{
    /// <summary>Every call to the task API (create, query, cancel), faulted or not: what crossed the wire.</summary>
    public int ApiRequests { get; init; }

    /// <summary>Create calls that got past injected faults and the key check, answered or not.</summary>
    public int Submissions { get; init; }

    /// <summary>Tasks created.</summary>
    public int TasksCreated { get; init; }

    /// <summary>Tasks created per request body (keyed by a hash of its canonical JSON): one job, one entry.</summary>
    public IReadOnlyDictionary<string, int> TasksByBody { get; init; } = new Dictionary<string, int>();

    /// <summary>Create calls refused for the rate or concurrency limit.</summary>
    public int Throttled { get; init; }

    /// <summary>Calls refused for a bad key, a missing async header or an invalid body.</summary>
    public int Rejected { get; init; }

    public int Polls { get; init; }

    public IReadOnlyDictionary<string, int> PollsByTask { get; init; } = new Dictionary<string, int>();

    public int Cancels { get; init; }

    /// <summary>The most tasks PENDING or RUNNING at one time.</summary>
    public int ConcurrentPeak { get; init; }

    /// <summary>Faults injected from <see cref="SimulatorFaults"/> counts.</summary>
    public int FaultsInjected { get; init; }

    /// <summary>Video downloads answered (full or ranged).</summary>
    public int VideoRequests { get; init; }
}
