namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>The <c>task_status</c> values of an asynchronous DashScope task.</summary>
public enum DashScopeTaskStatus
{
    /// <summary>A status this client does not know, or the service's own UNKNOWN (no such task, or expired after 24 h).</summary>
    Unknown,
    Pending,
    Running,
    Suspended,
    Succeeded,
    Failed,
    Canceled,
}
