namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// Faults the simulator injects into its API (create, query, cancel). Counts are consumed one call at a time.
/// </summary>
public sealed record SimulatorFaults
{
    /// <summary>When set, tasks end FAILED with this code (DataInspectionFailed, InternalError, …).</summary>
    public string? FailTasksWithCode { get; init; }

    /// <summary>With <see cref="FailTasksWithCode"/>: every Nth task fails (1: all of them).</summary>
    public int FailEveryNthTask { get; init; } = 1;

    /// <summary>Tasks never leave RUNNING.</summary>
    public bool StuckInRunning { get; init; }

    /// <summary>The next N API calls answer 500 with the service's InternalError body.</summary>
    public int ServerErrors { get; init; }

    /// <summary>The next N API calls answer 502 with an HTML page, as a gateway in front of the service would.</summary>
    public int GatewayErrors { get; init; }

    /// <summary>The next N API calls answer 429 Throttling.</summary>
    public int Throttles { get; init; }

    /// <summary>The next N API calls have their connection cut before any answer, having done nothing.</summary>
    public int DroppedConnections { get; init; }

    /// <summary>The next N submissions create their task, then have their connection cut before the answer.</summary>
    public int DropAfterCreate { get; init; }

    /// <summary>Every API answer waits this long first.</summary>
    public TimeSpan ResponseDelay { get; init; }
}
