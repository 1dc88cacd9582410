using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// The simulator's HTTP surface: the DashScope task API under <c>/api/v1</c>, exactly as documented (shapes,
/// status values, error bodies), the result videos under <c>/videos</c>, sample input media under
/// <c>/media</c> (for offline jobs), and <c>/admin</c> for tests.
/// </summary>
public static class SimulatorEndpoints
{
    /// <summary>The largest request body accepted.</summary>
    public const int MaxBodyBytes = JobDocumentReader.MaxDocumentBytes;

    // The service writes URLs with a plain '&', not the default encoder's \u0026.
    private static readonly DashScopeJsonContext Json = new(new JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    });

    public static WebApplication MapSimulatorEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api/v1");
        api.AddEndpointFilter(InjectFaultsAsync);
        api.AddEndpointFilter(RequireApiKey);
        api.MapPost("/services/aigc/video-generation/video-synthesis", CreateTaskAsync);
        api.MapGet("/tasks/{taskId}", GetTask);
        api.MapPost("/tasks/{taskId}/cancel", CancelTask);

        app.MapMethods("/videos/{taskId}.mp4", [HttpMethods.Get, HttpMethods.Head], GetVideo);
        app.MapMethods("/media/{name}", [HttpMethods.Get, HttpMethods.Head], (string name) =>
            SampleVideo.Input(name) is { } media
                ? Results.File(media.Bytes, media.ContentType, enableRangeProcessing: true)
                : Results.NotFound());

        var admin = app.MapGroup("/admin");
        admin.MapGet("/counters", (SimulatorState state) => Results.Json(state.Counters()));
        admin.MapGet("/faults", (SimulatorState state) => Results.Json(state.Faults));
        admin.MapPut("/faults", (SimulatorFaults faults, SimulatorState state) =>
        {
            state.Faults = faults;
            return Results.Json(state.Faults);
        });
        admin.MapPost("/reset", (SimulatorState state) =>
        {
            state.Reset();
            return Results.NoContent();
        });
        return app;
    }

    private static async ValueTask<object?> InjectFaultsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var state = http.RequestServices.GetRequiredService<SimulatorState>();
        var fault = state.TakeApiFault();
        if (state.Faults.ResponseDelay > TimeSpan.Zero)
        {
            await Task.Delay(state.Faults.ResponseDelay, http.RequestAborted);
        }

        switch (fault)
        {
            case ApiFault.DropConnection:
                http.Abort();
                return Results.Empty;
            case ApiFault.GatewayError:
                return Results.Content("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", Encoding.UTF8, StatusCodes.Status502BadGateway);
            case ApiFault.ServerError:
                return Error(StatusCodes.Status500InternalServerError, DashScopeErrorCodes.InternalError, "An internal error has occurred, please try again later.");
            case ApiFault.Throttle:
                return Throttle(state, DashScopeErrorCodes.Throttling, "Requests throttling triggered.");
            default:
                return await next(context);
        }
    }

    private static async ValueTask<object?> RequireApiKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var state = http.RequestServices.GetRequiredService<SimulatorState>();
        var header = http.Request.Headers.Authorization.ToString();
        var expected = "Bearer " + state.Options.ApiKey;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), Encoding.UTF8.GetBytes(expected)))
        {
            state.CountRejected();
            return Error(StatusCodes.Status401Unauthorized, DashScopeErrorCodes.InvalidApiKey, "Invalid API-key provided.");
        }

        return await next(context);
    }

    private static async Task<IResult> CreateTaskAsync(HttpContext http, SimulatorState state)
    {
        state.CountSubmission();
        if (!string.Equals(http.Request.Headers[DashScopeClient.AsyncHeader], "enable", StringComparison.OrdinalIgnoreCase))
        {
            state.CountRejected();
            return Error(StatusCodes.Status403Forbidden, DashScopeErrorCodes.AccessDenied, "current user api does not support synchronous calls");
        }

        var read = await JobDocumentReader.ReadAsync(http.Request.Body, http.RequestAborted);
        if (!read.Succeeded)
        {
            state.CountRejected();
            return Error(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter, read.Error.Message);
        }

        var body = read.Document;
        if (body[JobFields.Model] is not JsonValue model || model.GetValueKind() != JsonValueKind.String)
        {
            state.CountRejected();
            return Error(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter, "Model not exist.");
        }

        if (VaceModels.RegionOf(model.GetValue<string>()) is null)
        {
            state.CountRejected();
            return Error(StatusCodes.Status404NotFound, DashScopeErrorCodes.ModelNotFound, $"Model not found ({model.GetValue<string>()})!");
        }

        var validation = JobValidator.Validate(body, new JobValidationOptions { Region = null });
        if (validation.Errors.FirstOrDefault() is { } error)
        {
            state.CountRejected();
            return Error(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter, $"{error.Path}: {error.Message}");
        }

        var outcome = state.Submit(JobId.Derive(body));
        if (outcome.Task is not { } task)
        {
            return Throttle(state, outcome.ThrottleCode!, outcome.ThrottleMessage!);
        }

        if (outcome.DropAnswer)
        {
            http.Abort();
            return Results.Empty;
        }

        return Results.Json(
            new DashScopeTaskResponse
            {
                RequestId = NewRequestId(),
                Output = new DashScopeTaskOutput { TaskId = task.Id, TaskStatus = DashScopeTaskStatus.Pending.ToWire() },
            },
            Json.DashScopeTaskResponse);
    }

    private static IResult GetTask(string taskId, HttpContext http, SimulatorState state)
    {
        var view = state.Poll(taskId);
        if (view is null || view.Status == DashScopeTaskStatus.Unknown)
        {
            return Results.Json(
                new DashScopeTaskResponse
                {
                    RequestId = NewRequestId(),
                    Output = new DashScopeTaskOutput { TaskId = taskId, TaskStatus = DashScopeTaskStatus.Unknown.ToWire() },
                },
                Json.DashScopeTaskResponse);
        }

        var succeeded = view.Status == DashScopeTaskStatus.Succeeded;
        return Results.Json(
            new DashScopeTaskResponse
            {
                RequestId = NewRequestId(),
                Output = new DashScopeTaskOutput
                {
                    TaskId = view.TaskId,
                    TaskStatus = view.Status.ToWire(),
                    SubmitTime = FormatTime(view.SubmitTime),
                    ScheduledTime = view.ScheduledTime is { } scheduled ? FormatTime(scheduled) : null,
                    EndTime = view.EndTime is { } end ? FormatTime(end) : null,
                    VideoUrl = succeeded ? VideoUrl(http, state, view) : null,
                    Code = view.FailCode,
                    Message = view.FailCode is { } code ? FailureMessage(code) : null,
                },
                Usage = succeeded
                    ? new DashScopeUsage { VideoCount = 1, VideoDuration = SampleVideo.DurationSeconds, VideoRatio = SampleVideo.Ratio }
                    : null,
            },
            Json.DashScopeTaskResponse);
    }

    private static IResult CancelTask(string taskId, SimulatorState state) =>
        state.Cancel(taskId)
            ? Results.Json(new JsonObject { ["request_id"] = NewRequestId() })
            : Error(StatusCodes.Status400BadRequest, DashScopeErrorCodes.UnsupportedOperation,
                "Failed to cancel the task, please confirm if the task is in PENDING status.");

    private static IResult GetVideo(string taskId, HttpContext http, SimulatorState state)
    {
        state.CountVideoRequest();
        var query = http.Request.Query;
        if (!long.TryParse(query["Expires"], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(query["Signature"].ToString()),
                Encoding.ASCII.GetBytes(state.Sign(taskId, expires))))
        {
            return StorageError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
        }

        if (state.Now.ToUnixTimeSeconds() > expires)
        {
            return StorageError("AccessDenied", "Request has expired.");
        }

        if (state.Peek(taskId) is not { Status: DashScopeTaskStatus.Succeeded })
        {
            return Results.NotFound();
        }

        return Results.Stream(SampleVideo.Open(state.Options.OutputSizeBytes), "video/mp4", enableRangeProcessing: true);
    }

    private static string VideoUrl(HttpContext http, SimulatorState state, TaskView view)
    {
        var expires = (view.EndTime!.Value + state.Options.VideoUrlLifetime).ToUnixTimeSeconds();
        var origin = $"{http.Request.Scheme}://{http.Request.Host}";
        return $"{origin}/videos/{Uri.EscapeDataString(view.TaskId)}.mp4?Expires={expires}&Signature={state.Sign(view.TaskId, expires)}";
    }

    private static string FailureMessage(string code) => code switch
    {
        DashScopeErrorCodes.DataInspectionFailed => "Output data may contain inappropriate content.",
        DashScopeErrorCodes.InternalError => "An internal error has occurred, please try again later.",
        _ => $"The task failed ({code}).",
    };

    // The documented format, e.g. "2025-03-18 17:38:24.817". The simulator writes UTC.
    private static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(DashScopeTaskOutput.TimeFormat, CultureInfo.InvariantCulture);

    private static string NewRequestId() => Guid.NewGuid().ToString();

    private static IResult Error(int status, string code, string message) => Results.Json(
        new DashScopeErrorResponse { RequestId = NewRequestId(), Code = code, Message = message },
        Json.DashScopeErrorResponse,
        statusCode: status);

    private static IResult Throttle(SimulatorState state, string code, string message)
    {
        var result = Error(StatusCodes.Status429TooManyRequests, code, message);
        return state.Options.RetryAfterSeconds is { } seconds ? new WithRetryAfter(result, seconds) : result;
    }

    /// <summary>An error body as the object storage behind video URLs writes it: XML, 403.</summary>
    private static IResult StorageError(string code, string message) => Results.Content(
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>",
        "application/xml",
        Encoding.UTF8,
        StatusCodes.Status403Forbidden);

    private sealed class WithRetryAfter(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
