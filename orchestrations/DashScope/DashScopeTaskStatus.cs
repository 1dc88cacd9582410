namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>The <c>task_status</c> values of an asynchronous DashScope task.</summary>
public enum DashScopeTaskStatus
{
    /// <summary>The service's own UNKNOWN: no such task, or it expired after 24 h.</summary>
    Unknown,
    Pending,
    Running,
    Suspended,
    Succeeded,
    Failed,
    Canceled,

    /// <summary>A status this client does not know (a newer service, say): the task is not taken to have ended.</summary>
    Unrecognized,
}
