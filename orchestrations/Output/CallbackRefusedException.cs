using System.Net;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// A callback that no retry delivers: its URL is at an address the host may not use, or the receiver answered a 4xx
/// other than 408, 425 or 429 (it refused this request, not the moment). Not retried (<see cref="Workflow.JobSchedule.TransientRetry"/>).
/// </summary>
public sealed class CallbackRefusedException(string message, HttpStatusCode? statusCode, Exception? inner = null)
    : HttpRequestException(message, inner, statusCode)
{
    /// <summary>True for an answer that says the receiver refuses this request, whenever it is sent again.</summary>
    public static bool IsRefusal(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && (int)status is not (408 or 425 or 429);
}
