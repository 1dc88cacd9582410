namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>The error codes a job fails with when the cause is not the service's own code.</summary>
public static class VaceJobErrorCodes
{
    /// <summary>An input medium is missing, not the right type, too large or too long.</summary>
    public const string InvalidInput = "InvalidInput";

    /// <summary>The result's URL expired (or vanished) before it could be copied.</summary>
    public const string OutputExpired = "OutputExpired";

    /// <summary>The result video is larger than <see cref="WorkflowOptions.MaxDownloadBytes"/>; it is not copied.</summary>
    public const string OutputTooLarge = "OutputTooLarge";

    /// <summary>The result's URL (or a redirect from it) names an address the host may not connect to (see <see cref="Inputs.UrlGuard"/>).</summary>
    public const string OutputRefused = "OutputRefused";

    /// <summary>
    /// The job's output name holds another job's video (two jobs named the same output): it is never replaced, and the
    /// video stays uncopied.
    /// </summary>
    public const string OutputConflict = "OutputConflict";

    /// <summary>A submission's fate is unknown; it is not re-sent, because a second task would be billed again.</summary>
    public const string AmbiguousSubmit = "AmbiguousSubmit";

    /// <summary>The host has no DashScope API key (none set, or its Key Vault secret not written yet): nothing is submitted.</summary>
    public const string NotConfigured = "NotConfigured";

    /// <summary>No slot or no finished task within the job's maximum wait.</summary>
    public const string Timeout = "Timeout";

    /// <summary>DashScope answered UNKNOWN for the task: it expired (24 h) or never existed.</summary>
    public const string TaskUnknown = "TaskUnknown";

    /// <summary>The task was canceled.</summary>
    public const string Canceled = "Canceled";

    /// <summary>A step kept failing after its retries (storage or network trouble); the message says which.</summary>
    public const string StepFailed = "StepFailed";
}
