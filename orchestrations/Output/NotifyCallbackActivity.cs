using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
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
/// replays. The body carries the URL it was sent to (<c>callbackUrl</c>), inside what is signed, so a receiver can
/// check that a signed body was meant for it and not replayed from another receiver. One delivery ends within
/// <see cref="WorkflowOptions.CallbackTimeout"/> whatever the receiver does (only its status line is waited for, its
/// body is never read). A refused address or a 4xx answer that says the receiver refuses the request throws
/// <see cref="CallbackRefusedException"/>, which is not retried; other failures (a receiver that did not answer in
/// time among them) throw, for the orchestrator's retry policy.
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
        var body = Addressed(input.BodyJson, input.Url);
        using var request = new HttpRequestMessage(HttpMethod.Post, input.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Vace-Job-Id", input.JobId);
        if (options.Value.SigningSecret is { } secret)
        {
            request.Headers.Add(CallbackSignature.HeaderName, CallbackSignature.Create(secret, time.GetUtcNow(), body));
        }

        // One deadline from connecting to the status line: the pipeline's timeouts allow minutes, and a receiver that
        // sends nothing, or its headers a byte at a time, must not hold the job.
        var timeout = options.Value.CallbackTimeout;
        using var deadline = new CancellationTokenSource(timeout, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        HttpResponseMessage sent;
        try
        {
            sent = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bounded.Token);
        }
        catch (HttpRequestException ex) when (UrlGuard.IsRefusal(ex))
        {
            throw new CallbackRefusedException($"The callback URL was not called: {ex.Message}", null, ex);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException
            && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"The callback receiver did not answer within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (Vace:CallbackTimeout).", ex);
        }

        using var response = sent;
        if (CallbackRefusedException.IsRefusal(response.StatusCode))
        {
            throw new CallbackRefusedException($"The callback receiver answered HTTP {(int)response.StatusCode} ({response.ReasonPhrase}).", response.StatusCode);
        }

        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }

    /// <summary>The name of the field of a callback's body that holds the URL it was sent to.</summary>
    public const string CallbackUrlField = "callbackUrl";

    /// <summary>The body as sent to <paramref name="url"/>: the result with the URL it is meant for.</summary>
    public static string Addressed(string bodyJson, string url)
    {
        var body = JsonNode.Parse(bodyJson) as JsonObject ?? throw new ArgumentException("A callback's body is a JSON object.", nameof(bodyJson));
        body[CallbackUrlField] = url;
        return body.ToJsonString();
    }

    /// <param name="Url">The receiver.</param>
    /// <param name="JobId">The job, sent in <c>X-Vace-Job-Id</c>.</param>
    /// <param name="BodyJson">The job's result as JSON; <c>callbackUrl</c> is added to it when it is sent.</param>
    public sealed record Request(string Url, string JobId, string BodyJson);
}
