using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Counts each attempt at DashScope (<see cref="VaceTelemetry.DashScopeCall"/>) by operation and status code, inside
/// the resilience pipeline so that every retry is an attempt of its own; an attempt without an answer counts under
/// "none" with its error. The request's headers (the Bearer key) are never read.
/// </summary>
internal sealed class DashScopeTelemetryHandler(VaceTelemetry telemetry) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = DashScopeClient.Operation(request) ?? "unknown";
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            telemetry.DashScopeCall(operation, (int)response.StatusCode);
            return response;
        }
        catch (Exception ex)
        {
            telemetry.DashScopeCall(operation, null, ex is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http ? http.HttpRequestError.ToString() : ex.GetType().Name);
            throw;
        }
    }
}
