using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.IO;
using Polly;
using Polly.Retry;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Typed client of the DashScope asynchronous task API: submit a video-synthesis task, read a task, cancel a
/// pending one. Reads and cancels are retried on throttling, 5xx and transport failures with jittered
/// exponential backoff (honoring Retry-After). A submission is re-sent only when the service clearly did not
/// create a task — throttled, an error body, or no connection made — because every successful task is billed;
/// when its fate is unknown the call fails with <see cref="DashScopeException.TaskMayHaveBeenCreated"/>.
/// </summary>
public sealed partial class DashScopeClient
{
    public const string CreateTaskPath = "api/v1/services/aigc/video-generation/video-synthesis";
    public const string AsyncHeader = "X-DashScope-Async";

    /// <summary>The largest response body read; the service's answers are a few KB.</summary>
    public const int MaxResponseBytes = 1024 * 1024;

    private readonly HttpClient _http;
    private readonly DashScopeOptions _options;
    private readonly ILogger<DashScopeClient> _logger;
    private readonly ResiliencePipeline _pipeline;

    public DashScopeClient(HttpClient http, IOptions<DashScopeOptions> options, ILogger<DashScopeClient> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options.Value;
        _logger = logger;
        _pipeline = BuildPipeline(_options, logger, timeProvider);
    }

    public static string TaskPath(string taskId) => $"api/v1/tasks/{Uri.EscapeDataString(taskId)}";

    /// <summary>
    /// Creates a task from a request body (<c>{model, input, parameters}</c>). Returns the create response,
    /// whose output holds the task id and PENDING.
    /// </summary>
    public async Task<DashScopeTaskResponse> SubmitAsync(JsonObject request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.ToJsonString();
        var response = await ExecuteAsync(
            "submit",
            idempotent: false,
            () =>
            {
                var message = new HttpRequestMessage(HttpMethod.Post, CreateTaskPath)
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                message.Headers.Add(AsyncHeader, "enable");
                return message;
            },
            cancellationToken);

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
        var response = await ExecuteAsync("get", idempotent: true, () => new HttpRequestMessage(HttpMethod.Get, TaskPath(taskId)), cancellationToken);
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
        await ExecuteAsync("cancel", idempotent: true, () => new HttpRequestMessage(HttpMethod.Post, TaskPath(taskId) + "/cancel"), cancellationToken);
        Log.Canceled(_logger, taskId);
    }

    private async Task<DashScopeTaskResponse> ExecuteAsync(
        string operation, bool idempotent, Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(
            async (state, token) => await state.Client.SendOnceAsync(state.Operation, state.Idempotent, state.CreateRequest, token),
            (Client: this, Operation: operation, Idempotent: idempotent, CreateRequest: createRequest),
            cancellationToken);

    private async Task<DashScopeTaskResponse> SendOnceAsync(
        string operation, bool idempotent, Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        using var request = createRequest();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.RequestTimeout);

        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError
            or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
        {
            // Nothing reached the service: safe to retry even a submission.
            throw new DashScopeException(DashScopeErrorCodes.ConnectionFailed, $"Could not connect to DashScope ({ex.HttpRequestError}).",
                isRetryable: true, innerException: ex);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw NoResponse(operation, idempotent, null, ex);
        }

        using (response)
        {
            try
            {
                body = await ReadBodyAsync(response, attempt.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw NoResponse(operation, idempotent, response.StatusCode, ex);
            }

            return response.IsSuccessStatusCode
                ? ParseSuccess(operation, idempotent, response.StatusCode, body)
                : throw ParseError(idempotent, response, body);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new HttpRequestException($"The response declares {response.Content.Headers.ContentLength} bytes, more than {MaxResponseBytes}.");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await BoundedReads.ReadAtMostAsync(stream, MaxResponseBytes, cancellationToken)
            ?? throw new HttpRequestException($"The response is longer than {MaxResponseBytes} bytes.");
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

    private static DashScopeException ParseError(bool idempotent, HttpResponseMessage response, byte[] body)
    {
        DashScopeErrorResponse? error = null;
        try
        {
            error = JsonSerializer.Deserialize(body, DashScopeJsonContext.Default.DashScopeErrorResponse);
        }
        catch (JsonException)
        {
            // A body that is not the service's error JSON (a proxy's HTML page, say) is handled below.
        }

        var status = response.StatusCode;
        var hasErrorBody = !string.IsNullOrEmpty(error?.Code);
        var transient = status == HttpStatusCode.TooManyRequests || (int)status >= 500;

        // A 429, or any answer in the service's own error format, means the service refused the request; a bare
        // 5xx (a gateway's page) may have come after the task was created.
        var mayHaveCreated = !idempotent && !hasErrorBody && status != HttpStatusCode.TooManyRequests;
        return new DashScopeException(
            hasErrorBody ? error!.Code! : $"Http{(int)status}",
            error?.Message ?? $"HTTP {(int)status} {response.ReasonPhrase} without an error body.",
            status,
            error?.RequestId,
            isRetryable: transient && !mayHaveCreated,
            taskMayHaveBeenCreated: mayHaveCreated,
            retryAfter: RetryAfter(response));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is { Ticks: > 0 } wait ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static DashScopeException NoResponse(string operation, bool idempotent, HttpStatusCode? status, Exception inner) =>
        new(
            DashScopeErrorCodes.NoResponse,
            idempotent
                ? $"No complete answer to {operation}: {inner.Message}"
                : "No complete answer to the submission after it was sent: the task may or may not have been created, so it is not re-sent.",
            status,
            isRetryable: idempotent,
            taskMayHaveBeenCreated: !idempotent,
            innerException: inner);

    private static ResiliencePipeline BuildPipeline(DashScopeOptions options, ILogger logger, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetries == 0)
        {
            return builder.Build();
        }

        return builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<DashScopeException>(ex => ex.IsRetryable),
            MaxRetryAttempts = options.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryDelay,
            MaxDelay = options.MaxRetryDelay,
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Exception is DashScopeException { RetryAfter: { } after }
                    ? (TimeSpan?)(after < options.MaxRetryDelay ? after : options.MaxRetryDelay)
                    : null),
            OnRetry = args =>
            {
                var error = args.Outcome.Exception as DashScopeException;
                Log.Retrying(logger, args.AttemptNumber + 1, error?.Code, (int?)error?.StatusCode, args.RetryDelay.TotalMilliseconds);
                return default;
            },
        }).Build();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "DashScope task {TaskId} created (request {RequestId})")]
        public static partial void Submitted(ILogger logger, string taskId, string? requestId);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "DashScope call failed with {Code} (HTTP {Status}); retry {Attempt} in {DelayMs} ms")]
        public static partial void Retrying(ILogger logger, int attempt, string? code, int? status, double delayMs);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "DashScope task {TaskId} canceled")]
        public static partial void Canceled(ILogger logger, string taskId);
    }
}
