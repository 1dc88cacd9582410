namespace VaceFunctions.Orchestrations.Batches;

/// <summary>Where a batch stands, in the words of <c>GET /api/batches/{id}</c>.</summary>
public static class BatchState
{
    /// <summary>Accepted; its orchestration has not reported yet.</summary>
    public const string Validating = "validating";

    /// <summary>Starting its jobs, or following them to their ends.</summary>
    public const string Running = "running";

    /// <summary>Asked to stop: waiting jobs are canceled, tasks already running at DashScope are followed to their end.</summary>
    public const string Canceling = "canceling";

    /// <summary>Every line has an outcome and the results are written.</summary>
    public const string Ended = "ended";
}
