namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Reads each DashScope answer whole, up to <see cref="DashScopeClient.MaxResponseBytes"/>, inside the resilience
/// pipeline: the body is read within the attempt's timeout, a connection cut mid-body fails the attempt where the
/// retry sees it, and the retry predicate can read an error body. A longer body fails the attempt.
/// </summary>
internal sealed class DashScopeBufferingHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        try
        {
            await response.Content.LoadIntoBufferAsync(DashScopeClient.MaxResponseBytes, cancellationToken);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
