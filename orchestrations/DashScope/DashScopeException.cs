using System.Net;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// A DashScope call that failed: the service's error (<c>{code, message, request_id}</c> with its HTTP
/// status) or a transport failure, with what the caller needs to decide what to do next. Never carries the
/// API key or a signed URL.
/// </summary>
public sealed class DashScopeException : Exception
{
    public DashScopeException(
        string code,
        string message,
        HttpStatusCode? statusCode = null,
        string? requestId = null,
        bool isRetryable = false,
        bool taskMayHaveBeenCreated = false,
        TimeSpan? retryAfter = null,
        Exception? innerException = null)
        : base($"DashScope {code}: {message}", innerException)
    {
        Code = code;
        ServiceMessage = message;
        StatusCode = statusCode;
        RequestId = requestId;
        IsRetryable = isRetryable;
        TaskMayHaveBeenCreated = taskMayHaveBeenCreated;
        RetryAfter = retryAfter;
    }

    /// <summary>The service's code (<see cref="DashScopeErrorCodes"/>), or this client's for transport failures.</summary>
    public string Code { get; }

    /// <summary>The service's message, unchanged.</summary>
    public string ServiceMessage { get; }

    /// <summary>The HTTP status, when an answer arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The service's request id, for support cases.</summary>
    public string? RequestId { get; }

    /// <summary>
    /// True when the same call may succeed later (throttling, 408, 5xx, transport failures, a call the client's
    /// circuit breaker held back) and repeating it cannot create a second task.
    /// </summary>
    public bool IsRetryable { get; }

    /// <summary>
    /// True for a submission whose fate is unknown: the request may have reached the service and created a
    /// (billed) task. Such a submission is never re-sent blindly.
    /// </summary>
    public bool TaskMayHaveBeenCreated { get; }

    /// <summary>How long the service asked to wait before the next call (Retry-After), if it said.</summary>
    public TimeSpan? RetryAfter { get; }
}
