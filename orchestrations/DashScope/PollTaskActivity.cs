using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Reads a task's status once. Transport errors, 5xx and throttling are retried by the client; if the service stays
/// out of reach, the poll answers <see cref="Result.Outage"/> (logged) and the job keeps waiting, backing off, while
/// its task runs on remotely. Only permanent answers (a bad key, a refused request) are thrown. A status this client
/// does not know is logged and reported as <see cref="DashScopeTaskStatus.Unrecognized"/>: the job keeps polling.
/// </summary>
[DurableTask(Name)]
public sealed partial class PollTaskActivity(DashScopeClient client, VaceTelemetry telemetry, ILogger<PollTaskActivity> logger) : TaskActivity<string, PollTaskActivity.Result>
{
    public const string Name = "PollTask";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<Result> RunAsync(TaskActivityContext context, string input) => RunAsync(input, CancellationToken.None);

    public async Task<Result> RunAsync(string input, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartStep("vace.poll", taskId: input);
        DashScopeTaskResponse response;
        try
        {
            response = await client.GetTaskAsync(input, cancellationToken);
        }
        catch (DashScopeException ex) when (ex.IsRetryable)
        {
            Log.Unreachable(logger, input, ex.Code, (int?)ex.StatusCode);
            span?.SetTag(VaceTelemetry.ErrorTypeTag, ex.Code);
            return Result.Unreachable($"{ex.Code}: {ex.ServiceMessage}");
        }

        var output = response.Output!;
        span?.SetTag("vace.task.status", output.Status.ToWire());
        if (output.Status == DashScopeTaskStatus.Unrecognized)
        {
            Log.Unrecognized(logger, input, output.TaskStatus);
        }

        return new Result(
            output.Status,
            output.VideoUrl is not null,
            output.Code,
            output.Message,
            response.Usage,
            output.SubmitTime,
            output.ScheduledTime,
            output.EndTime);
    }

    /// <summary>The task's status and, when it ended, its usage or error; whether it has a video, never its URL.</summary>
    /// <remarks>
    /// The result's <c>video_url</c> is signed and works for 24 hours: it is left out, since this record is kept in
    /// the task hub's history. The copy asks the service for it just before downloading
    /// (<see cref="Output.CopyOutputActivity"/>).
    /// </remarks>
    public sealed record Result(
        DashScopeTaskStatus Status,
        bool HasVideo,
        string? Code,
        string? Message,
        DashScopeUsage? Usage,
        string? SubmitTime,
        string? ScheduledTime,
        string? EndTime)
    {
        /// <summary>Set when DashScope could not be reached (network, 5xx, throttling): the status is not known.</summary>
        public string? Outage { get; init; }

        public static Result Unreachable(string why) =>
            new(DashScopeTaskStatus.Unrecognized, false, null, null, null, null, null, null) { Outage = why };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1150, Level = LogLevel.Warning, Message = "Task {TaskId} has a status this client does not know ({TaskStatus}); polling on")]
        public static partial void Unrecognized(ILogger logger, string taskId, string? taskStatus);

        [LoggerMessage(EventId = 1151, Level = LogLevel.Warning, Message = "Task {TaskId} could not be polled ({Code}, HTTP {Status}); the job waits and polls again")]
        public static partial void Unreachable(ILogger logger, string taskId, string code, int? status);
    }
}
