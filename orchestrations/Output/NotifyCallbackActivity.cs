using System.Text;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Workflow;
using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// POSTs a job's result (JSON) to its callback_url, under the same address rules as media (<see cref="UrlGuard"/>,
/// checked on the resolved address of every connection; no redirects followed, no exception for the host's own
/// origins). When <c>Vace:CallbackSecret</c> is set, <c>X-Vace-Signature: t=UNIXSECONDS,v1=HEX</c> signs the time of
/// this attempt and the body (<see cref="CallbackSignature"/>), so the receiver can verify the sender and refuse
/// replays. A refused address or a 4xx answer that says the receiver refuses the request throws
/// <see cref="CallbackRefusedException"/>, which is not retried; other failures throw, for the orchestrator's retry policy.
/// </summary>
[DurableTask(Name)]
public sealed class NotifyCallbackActivity(IHttpClientFactory httpClients, IOptions<WorkflowOptions> options, TimeProvider time, VaceTelemetry telemetry)
    : TaskActivity<NotifyCallbackActivity.Request, int>
{
    public const string Name = "NotifyCallback";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<int> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    /// <summary>
    /// The named HTTP client for callbacks: the address rules of <see cref="UrlGuard"/>, without the exception downloads
    /// have for the host's own origins (DashScope base URL, blob endpoint), and no redirects.
    /// </summary>
    public const string HttpClientName = "vace-callback";

    public async Task<int> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = telemetry.StartStep("vace.callback", input.JobId);
        using var request = new HttpRequestMessage(HttpMethod.Post, input.Url)
        {
            Content = new StringContent(input.BodyJson, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Vace-Job-Id", input.JobId);
        if (options.Value.SigningSecret is { } secret)
        {
            request.Headers.Add(CallbackSignature.HeaderName, CallbackSignature.Create(secret, time.GetUtcNow(), input.BodyJson));
        }

        HttpResponseMessage sent;
        try
        {
            sent = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (UrlGuard.IsRefusal(ex))
        {
            throw new CallbackRefusedException($"The callback URL was not called: {ex.Message}", null, ex);
        }

        using var response = sent;
        if (CallbackRefusedException.IsRefusal(response.StatusCode))
        {
            throw new CallbackRefusedException($"The callback receiver answered HTTP {(int)response.StatusCode} ({response.ReasonPhrase}).", response.StatusCode);
        }

        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }

    public sealed record Request(string Url, string JobId, string BodyJson);
}
