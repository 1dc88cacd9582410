using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Typed client of the DashScope asynchronous task API: submit a video-synthesis task, read a task, cancel a
/// pending one. Resilience is the standard pipeline of Microsoft.Extensions.Http.Resilience on its HttpClient, set
/// by <see cref="ConfigureResilience"/> when <c>AddVaceOrchestrations</c> registers the client. Reads and cancels
/// are retried on the standard transient failures with jittered exponential backoff (honoring Retry-After). A
/// submission is re-sent only when the service clearly did not create a task — throttled, an error body, or no
/// connection made — because every successful task is billed; when its fate is unknown the call fails with
/// <see cref="DashScopeException.TaskMayHaveBeenCreated"/>.
/// </summary>
public sealed partial class DashScopeClient
{
    public const string CreateTaskPath = "api/v1/services/aigc/video-generation/video-synthesis";
    public const string AsyncHeader = "X-DashScope-Async";

    /// <summary>The largest response body read; the service's answers are a few KB.</summary>
    public const int MaxResponseBytes = 1024 * 1024;

    private const string SubmitOperation = "submit";

    /// <summary>Names the call on its request, for the retry predicate, the retry log and the call metrics.</summary>
    internal static readonly HttpRequestOptionsKey<string> OperationKey = new("VaceFunctions.DashScope.Operation");

    private readonly HttpClient _http;
    private readonly DashScopeOptions _options;
    private readonly ILogger<DashScopeClient> _logger;
    private readonly TimeProvider _timeProvider;

    public DashScopeClient(HttpClient http, IOptions<DashScopeOptions> options, ILogger<DashScopeClient> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options.Value;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    public static string TaskPath(string taskId) => $"api/v1/tasks/{Uri.EscapeDataString(taskId)}";

    /// <summary>
    /// Creates a task from a request body (<c>{model, input, parameters}</c>). Returns the create response,
    /// whose output holds the task id and PENDING.
    /// </summary>
    public async Task<DashScopeTaskResponse> SubmitAsync(JsonObject request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, CreateTaskPath)
        {
            Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.Add(AsyncHeader, "enable");
        var response = await SendAsync(SubmitOperation, message, cancellationToken);

        if (string.IsNullOrEmpty(response.Output?.TaskId))
        {
            // A 2xx answer without a task id: something was accepted, so the task may exist.
            throw new DashScopeException(DashScopeErrorCodes.InvalidResponse, "The create response has no output.task_id.",
                HttpStatusCode.OK, response.RequestId, taskMayHaveBeenCreated: true);
        }

        Log.Submitted(_logger, response.Output.TaskId, response.RequestId);
        return response;
    }

    /// <summary>Reads a task. An unknown or expired task id answers UNKNOWN, not an error.</summary>
    public async Task<DashScopeTaskResponse> GetTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        using var message = new HttpRequestMessage(HttpMethod.Get, TaskPath(taskId));
        var response = await SendAsync("get", message, cancellationToken);
        if (response.Output is null)
        {
            throw new DashScopeException(DashScopeErrorCodes.InvalidResponse, "The task response has no output.",
                HttpStatusCode.OK, response.RequestId, isRetryable: false);
        }

        return response;
    }

    /// <summary>Cancels a task; the service allows it only while the task is PENDING (else UnsupportedOperation).</summary>
    public async Task CancelAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        using var message = new HttpRequestMessage(HttpMethod.Post, TaskPath(taskId) + "/cancel");
        await SendAsync("cancel", message, cancellationToken);
        Log.Canceled(_logger, taskId);
    }

    /// <summary>
    /// Sets the standard resilience pipeline of this client's HttpClient from <paramref name="options"/>: each
    /// attempt may take <see cref="DashScopeOptions.RequestTimeout"/>; up to <see cref="DashScopeOptions.MaxRetries"/>
    /// retries follow, after a jittered exponential delay from <see cref="DashScopeOptions.RetryDelay"/> or the
    /// Retry-After the service sent, either capped at <see cref="DashScopeOptions.MaxRetryDelay"/>. Which failures are
    /// retried is decided by <see cref="ShouldRetryAsync"/>. Each retry is logged and counted.
    /// </summary>
    internal static void ConfigureResilience(HttpStandardResilienceOptions resilience, DashScopeOptions options, ILogger logger, VaceTelemetry telemetry)
    {
        resilience.AttemptTimeout.Timeout = options.RequestTimeout;

        // The worst case of every attempt timing out after the longest delays: the total timeout is a backstop that
        // never cuts the configured retries short.
        resilience.TotalRequestTimeout.Timeout = options.MaxCallDuration;

        // The library requires the breaker to sample at least two attempts' worth of time.
        if (resilience.CircuitBreaker.SamplingDuration < options.RequestTimeout * 2)
        {
            resilience.CircuitBreaker.SamplingDuration = options.RequestTimeout * 2;
        }

        var retry = resilience.Retry;

        // The library accepts no fewer than 1 retry; with MaxRetries 0 the predicate never retries.
        retry.MaxRetryAttempts = Math.Max(options.MaxRetries, 1);
        retry.Delay = options.RetryDelay;
        retry.MaxDelay = options.MaxRetryDelay;

        // The library's generator reads Retry-After (else keeps the backoff delay); MaxDelay does not cap it.
        var retryAfter = retry.DelayGenerator ?? throw new InvalidOperationException("The retry options read no Retry-After.");
        retry.DelayGenerator = async args => await retryAfter(args) switch
        {
            { } delay when delay > options.MaxRetryDelay => options.MaxRetryDelay,
            var delay => delay,
        };
        retry.ShouldHandle = args => options.MaxRetries > 0 ? ShouldRetryAsync(args) : ValueTask.FromResult(false);
        retry.OnRetry = async args =>
        {
            var operation = Operation(args.Context.GetRequestMessage());
            telemetry.DashScopeRetry(operation ?? SubmitOperation, (int?)args.Outcome.Result?.StatusCode);
            Log.Retrying(logger, operation, await DescribeAsync(args.Outcome, args.Context.CancellationToken), args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
        };
    }

    /// <summary>
    /// Reads and cancels: the standard transient failures (408, 429, 5xx, transport failures, attempt timeouts). A
    /// submission creates a billed task, so only those where the service clearly created nothing: a 429, a transient
    /// answer in the service's error format, or a connection that was never made. A timeout or a cut connection after
    /// sending, or a bare gateway 5xx, may have come after the task was created.
    /// </summary>
    private static async ValueTask<bool> ShouldRetryAsync(RetryPredicateArguments<HttpResponseMessage> args)
    {
        var cancellationToken = args.Context.CancellationToken;
        if (!HttpClientResiliencePredicates.IsTransient(args.Outcome))
        {
            return false;
        }

        // A request of unknown operation is treated as a submission: the safe side.
        if (Operation(args.Context.GetRequestMessage()) is { } operation && operation != SubmitOperation)
        {
            return true;
        }

        return args.Outcome switch
        {
            { Exception: HttpRequestException ex } => IsConnectFailure(ex),
            { Result.StatusCode: HttpStatusCode.TooManyRequests } => true,
            { Result: { } response } => await ErrorCodeAsync(response, cancellationToken) is not null,
            _ => false,
        };
    }

    /// <summary>A failed attempt as the retry log names it: the HTTP status and service code, or the transport error.</summary>
    private static async Task<string?> DescribeAsync(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken) => outcome switch
    {
        { Result: { } response } => $"HTTP {(int)response.StatusCode} {await ErrorCodeAsync(response, cancellationToken)}".TrimEnd(),
        { Exception: HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } ex } => ex.HttpRequestError.ToString(),
        { Exception: { } ex } => ex.GetType().Name,
        _ => null,
    };

    internal static string? Operation(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(OperationKey, out var operation) ? operation : null;

    private static bool IsConnectFailure(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;

    /// <summary>The code of an answer in the service's error format, read from the body the pipeline buffered.</summary>
    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        ReadError(await response.Content.ReadAsByteArrayAsync(cancellationToken)) is { Code: { Length: > 0 } code } ? code : null;

    private static DashScopeErrorResponse? ReadError(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, DashScopeJsonContext.Default.DashScopeErrorResponse);
        }
        catch (JsonException)
        {
            // A body that is not the service's error JSON (a proxy's HTML page, say).
            return null;
        }
    }

    /// <summary>Sends one call through the pipeline and maps its final outcome.</summary>
    private async Task<DashScopeTaskResponse> SendAsync(string operation, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var idempotent = operation != SubmitOperation;
        request.Options.Set(OperationKey, operation);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex) when (IsConnectFailure(ex))
        {
            // Nothing reached the service: safe to retry even a submission.
            throw new DashScopeException(DashScopeErrorCodes.ConnectionFailed, $"Could not connect to DashScope ({ex.HttpRequestError}).",
                isRetryable: true, innerException: ex);
        }
        catch (ExecutionRejectedException ex) when (ex is not TimeoutRejectedException)
        {
            throw new DashScopeException(DashScopeErrorCodes.NotSent, $"The {operation} call was not sent: {ex.Message}",
                isRetryable: true, innerException: ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw NoResponse(operation, idempotent, ex);
        }

        using (response)
        {
            // The pipeline has read the body whole, within the attempt's timeout.
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return response.IsSuccessStatusCode
                ? ParseSuccess(operation, idempotent, response.StatusCode, body)
                : throw ParseError(idempotent, response, body);
        }
    }

    private static DashScopeTaskResponse ParseSuccess(string operation, bool idempotent, HttpStatusCode status, byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, DashScopeJsonContext.Default.DashScopeTaskResponse)
                ?? throw new JsonException("The body is null.");
        }
        catch (JsonException ex)
        {
            throw new DashScopeException(DashScopeErrorCodes.InvalidResponse, $"The {operation} response is not the documented JSON.",
                status, isRetryable: idempotent, taskMayHaveBeenCreated: !idempotent, innerException: ex);
        }
    }

    private DashScopeException ParseError(bool idempotent, HttpResponseMessage response, byte[] body)
    {
        var error = ReadError(body);
        var status = response.StatusCode;
        var hasErrorBody = !string.IsNullOrEmpty(error?.Code);

        // A 429, or any answer in the service's own error format, means the service refused the request; a bare
        // 5xx (a gateway's page) may have come after the task was created. Retryable means what the pipeline retries.
        var mayHaveCreated = !idempotent && !hasErrorBody && status != HttpStatusCode.TooManyRequests;
        return new DashScopeException(
            hasErrorBody ? error!.Code! : $"Http{(int)status}",
            error?.Message ?? $"HTTP {(int)status} {response.ReasonPhrase} without an error body.",
            status,
            error?.RequestId,
            isRetryable: HttpClientResiliencePredicates.IsTransient(Outcome.FromResult(response)) && !mayHaveCreated,
            taskMayHaveBeenCreated: mayHaveCreated,
            retryAfter: RetryAfter(response));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _timeProvider.GetUtcNow() is { Ticks: > 0 } wait ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static DashScopeException NoResponse(string operation, bool idempotent, Exception inner) =>
        new(
            DashScopeErrorCodes.NoResponse,
            idempotent
                ? $"No complete answer to {operation}: {inner.Message}"
                : "No complete answer to the submission after it was sent: the task may or may not have been created, so it is not re-sent.",
            isRetryable: idempotent,
            taskMayHaveBeenCreated: !idempotent,
            innerException: inner);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "DashScope task {TaskId} created (request {RequestId})")]
        public static partial void Submitted(ILogger logger, string taskId, string? requestId);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "DashScope {Operation} failed with {Failure}; retry {Attempt} in {DelayMs} ms")]
        public static partial void Retrying(ILogger logger, string? operation, string? failure, int attempt, double delayMs);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "DashScope task {TaskId} canceled")]
        public static partial void Canceled(ILogger logger, string taskId);
    }
}
