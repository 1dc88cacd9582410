namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Error codes: the service's own (from its documentation) and the few this client adds for failures that
/// never reached a service answer.
/// </summary>
public static class DashScopeErrorCodes
{
    // The service's.
    public const string InvalidParameter = "InvalidParameter";
    public const string DataInspectionFailed = "DataInspectionFailed";
    public const string InvalidUrl = "InvalidURL";
    public const string Arrearage = "Arrearage";
    public const string UnsupportedOperation = "UnsupportedOperation";
    public const string InvalidApiKey = "InvalidApiKey";
    public const string AccessDenied = "AccessDenied";
    public const string ModelNotFound = "ModelNotFound";
    public const string Throttling = "Throttling";
    public const string ThrottlingRateQuota = "Throttling.RateQuota";
    public const string ThrottlingAllocationQuota = "Throttling.AllocationQuota";
    public const string InternalError = "InternalError";

    // This client's.
    /// <summary>The connection could not be made; nothing was sent.</summary>
    public const string ConnectionFailed = "ConnectionFailed";

    /// <summary>No complete answer arrived in time, or the connection broke after the request was sent.</summary>
    public const string NoResponse = "NoResponse";

    /// <summary>
    /// This client did not send the request: its circuit breaker is open after many failures, or too many calls
    /// are in flight. Nothing reached the service.
    /// </summary>
    public const string NotSent = "NotSent";

    /// <summary>An answer arrived that is not the documented shape.</summary>
    public const string InvalidResponse = "InvalidResponse";
}
