namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>Conversions between <see cref="DashScopeTaskStatus"/> and the service's spelling.</summary>
public static class DashScopeTaskStatuses
{
    /// <summary>Reads a wire status; the docs spell canceled both CANCELED and CANCELLED, and both are accepted.</summary>
    public static DashScopeTaskStatus Parse(string? value) => value?.ToUpperInvariant() switch
    {
        "PENDING" => DashScopeTaskStatus.Pending,
        "RUNNING" => DashScopeTaskStatus.Running,
        "SUSPENDED" => DashScopeTaskStatus.Suspended,
        "SUCCEEDED" => DashScopeTaskStatus.Succeeded,
        "FAILED" => DashScopeTaskStatus.Failed,
        "CANCELED" or "CANCELLED" => DashScopeTaskStatus.Canceled,
        "UNKNOWN" => DashScopeTaskStatus.Unknown,
        _ => DashScopeTaskStatus.Unrecognized,
    };

    /// <summary>The service's spelling of a status.</summary>
    public static string ToWire(this DashScopeTaskStatus status) => status switch
    {
        DashScopeTaskStatus.Pending => "PENDING",
        DashScopeTaskStatus.Running => "RUNNING",
        DashScopeTaskStatus.Suspended => "SUSPENDED",
        DashScopeTaskStatus.Succeeded => "SUCCEEDED",
        DashScopeTaskStatus.Failed => "FAILED",
        DashScopeTaskStatus.Canceled => "CANCELED",
        DashScopeTaskStatus.Unrecognized => "UNRECOGNIZED",
        _ => "UNKNOWN",
    };

    /// <summary>True once the task will not change again: succeeded, failed or canceled.</summary>
    public static bool IsTerminal(this DashScopeTaskStatus status) =>
        status is DashScopeTaskStatus.Succeeded or DashScopeTaskStatus.Failed or DashScopeTaskStatus.Canceled;
}
