using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Durable;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// Runs one VACE job to its end, like the monitor pattern: probe the inputs → wait for a task slot → submit →
/// poll on durable timers until the task ends or the deadline passes → release the slot → copy the video into
/// owned storage → write the manifest → notify the callback. Deterministic: time comes from the context and
/// every setting from the input.
/// </summary>
public sealed partial class VaceJobOrchestrator : IOrchestrator<VaceJobRequest, VaceJobResult>
{
    public const string Name = "VaceJob";

    /// <summary>For steps that fail only through passing trouble (storage, network); an expired result URL is final.</summary>
    internal static readonly ActivityRetryPolicy TransientRetry = new(5, TimeSpan.FromSeconds(2), 2.0, TimeSpan.FromMinutes(1))
    {
        Handle = failure => !failure.IsCausedBy<OutputExpiredException>(),
    };

    /// <summary>For submissions the service refused for now (throttling recovers within about a minute).</summary>
    internal static readonly ActivityRetryPolicy SubmitRetry = new(8, TimeSpan.FromSeconds(5), 2.0, TimeSpan.FromMinutes(1));

    public async Task<VaceJobResult> RunAsync(IOrchestrationContext context, VaceJobRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return await new Run(context, input).ExecuteAsync();
    }

    /// <summary>The state of one execution; a new one on every replay.</summary>
    private sealed class Run(IOrchestrationContext context, VaceJobRequest job)
    {
        private readonly ILogger _log = context.CreateReplaySafeLogger(typeof(VaceJobOrchestrator).FullName!);
        private readonly Dictionary<string, PhaseTiming> _phases = [];
        private VaceJobStatus _status = new() { Warnings = job.Warnings.Select(w => $"{w.Path}: {w.Message}").ToArray() };
        private bool _holdsSlot;
        private string? _phase;
        private DateTime _phaseStarted;

        private DateTime Deadline { get; } = context.CurrentUtcDateTime + job.MaxWait;

        public async Task<VaceJobResult> ExecuteAsync()
        {
            VaceJobResult result;
            try
            {
                result = await RunStepsAsync();
            }
            catch (JobFailedException ex)
            {
                result = Failure(ex.Code, ex.Message);
            }
            catch (ActivityFailedException ex)
            {
                result = Failure(ex.FailureDetails.Properties?.GetValueOrDefault("code") is { Length: > 0 } code ? code : VaceJobErrorCodes.StepFailed,
                    $"{ex.ActivityName} kept failing: {ex.FailureDetails.ErrorMessage}");
            }

            if (_holdsSlot)
            {
                await ReleaseSlotAsync();
            }

            result = await WriteManifestAsync(result);
            result = await NotifyAsync(result);
            EndPhase();
            Show(_status with { Phase = result.Succeeded ? VaceJobPhase.Succeeded : VaceJobPhase.Failed });
            if (result.Succeeded)
            {
                Log.Succeeded(_log, job.JobId, result.Blob!);
            }
            else
            {
                Log.Failed(_log, job.JobId, result.ErrorCode!);
            }
            return result;
        }

        private async Task<VaceJobResult> RunStepsAsync()
        {
            if (job.Media.Count > 0)
            {
                BeginPhase(VaceJobPhase.Probing);
                var problems = await CallAsync<IReadOnlyList<string>>(ProbeInputsActivity.Name, job.Media, TransientRetry, VaceJobErrorCodes.InvalidInput);
                if (problems.Count > 0)
                {
                    return Failure(VaceJobErrorCodes.InvalidInput, string.Join(" ", problems));
                }
            }

            BeginPhase(VaceJobPhase.WaitingForSlot);

            // Asking less often the longer a job waits (up to 4 intervals) keeps its history short; its place in
            // line is kept meanwhile, and stays well inside the line's staleness limit (2 minutes at least).
            var slotWait = job.SlotRetryInterval;
            while (true)
            {
                var grant = await context.CallActivityAsync<SlotGrant>(
                    AcquireSlotActivity.Name, new AcquireSlotActivity.Request(job.JobId, job.MaxWait + TimeSpan.FromMinutes(15)), TransientRetry);
                if (grant.Granted)
                {
                    _holdsSlot = true;
                    Show(_status with { SlotAcquiredAt = context.CurrentUtcDateTime, QueuePosition = null });
                    break;
                }

                if (context.CurrentUtcDateTime >= Deadline)
                {
                    return Failure(VaceJobErrorCodes.Timeout, $"No task slot became free within {job.MaxWait}.");
                }

                Show(_status with { QueuePosition = grant.Position });
                await context.CreateTimer(Min(context.CurrentUtcDateTime + slotWait, Deadline), CancellationToken.None);
                slotWait = Min(slotWait * 2, job.SlotRetryInterval * 4);
            }

            BeginPhase(VaceJobPhase.Submitting);
            var submitted = await context.CallActivityAsync<SubmitTaskActivity.Result>(
                SubmitTaskActivity.Name, new SubmitTaskActivity.Request(job.JobId, job.RequestJson), SubmitRetry);
            if (submitted.TaskId is not { } taskId)
            {
                return Failure(submitted.ErrorCode!, submitted.ErrorMessage!);
            }

            Log.Submitted(_log, job.JobId, taskId);
            BeginPhase(VaceJobPhase.Generating);
            Show(_status with { TaskId = taskId, TaskStatus = DashScopeTaskStatus.Pending.ToWire() });
            var task = await PollUntilEndAsync(taskId);
            await ReleaseSlotAsync();

            switch (task.Status)
            {
                case DashScopeTaskStatus.Succeeded when task.VideoUrl is not null:
                    break;
                case DashScopeTaskStatus.Failed:
                    return Failure(task.Code ?? "TaskFailed", task.Message ?? "The task failed without a message.", task);
                case DashScopeTaskStatus.Canceled:
                    return Failure(VaceJobErrorCodes.Canceled, "The task was canceled.", task);
                case DashScopeTaskStatus.Unknown:
                    return Failure(VaceJobErrorCodes.TaskUnknown, "DashScope no longer knows the task (UNKNOWN): it expired or never existed.", task);
                case DashScopeTaskStatus.Succeeded:
                    return Failure(VaceJobErrorCodes.StepFailed, "The task succeeded without a video_url.", task);
                default:
                    var canceled = await context.CallActivityAsync<bool>(CancelTaskActivity.Name, taskId, TransientRetry);
                    return Failure(VaceJobErrorCodes.Timeout,
                        $"The task was still {task.Status.ToWire()} after {job.MaxWait}{(canceled ? "; it was canceled" : "")}.", task);
            }

            BeginPhase(VaceJobPhase.Copying);
            var copy = await CallAsync<CopyOutputActivity.Result>(
                CopyOutputActivity.Name, new CopyOutputActivity.Request(job.JobId, taskId, task.VideoUrl, job.OutputContainer, job.OutputBlob),
                TransientRetry, VaceJobErrorCodes.OutputExpired, onlyWhen: f => f.IsCausedBy<OutputExpiredException>());
            return Outcome(task) with
            {
                Succeeded = true,
                Container = job.OutputContainer,
                Blob = job.OutputBlob,
                BlobUrl = copy.BlobUrl,
                Size = copy.Size,
                Sha256 = copy.Sha256,
                DurationSeconds = copy.DurationSeconds,
            };
        }

        /// <summary>Polls on durable timers: first after the initial interval, doubling up to the steady one.</summary>
        private async Task<PollTaskActivity.Result> PollUntilEndAsync(string taskId)
        {
            var delay = job.InitialPollInterval;
            for (var polls = 1; ; polls++)
            {
                await context.CreateTimer(Min(context.CurrentUtcDateTime + delay, Deadline), CancellationToken.None);
                delay = Min(delay * 2, job.PollInterval);
                var task = await context.CallActivityAsync<PollTaskActivity.Result>(PollTaskActivity.Name, taskId, TransientRetry);
                Show(_status with { TaskStatus = task.Status.ToWire(), PollCount = polls, LastPolledAt = context.CurrentUtcDateTime });
                if (task.Status.IsTerminal() || task.Status == DashScopeTaskStatus.Unknown || context.CurrentUtcDateTime >= Deadline)
                {
                    return task;
                }
            }
        }

        private async Task ReleaseSlotAsync()
        {
            if (_holdsSlot)
            {
                await context.CallActivityAsync<bool>(ReleaseSlotActivity.Name, job.JobId, TransientRetry);
                _holdsSlot = false;
            }
        }

        private async Task<VaceJobResult> WriteManifestAsync(VaceJobResult result)
        {
            BeginPhase(VaceJobPhase.WritingManifest);
            var manifest = new VaceJobManifest
            {
                JobId = job.JobId,
                Request = JsonNode.Parse(job.RequestJson)!.AsObject(),
                Result = result with { ManifestBlob = job.ManifestBlob },
                Warnings = job.Warnings,
                Phases = _phases,
            };
            try
            {
                await context.CallActivityAsync<string>(
                    WriteManifestActivity.Name, new WriteManifestActivity.Request(job.OutputContainer, job.ManifestBlob, manifest), TransientRetry);
                return manifest.Result;
            }
            catch (ActivityFailedException ex)
            {
                return result with { ErrorMessage = Append(result.ErrorMessage, $"The manifest could not be written: {ex.FailureDetails.ErrorMessage}") };
            }
        }

        private async Task<VaceJobResult> NotifyAsync(VaceJobResult result)
        {
            if (job.CallbackUrl is null)
            {
                return result;
            }

            BeginPhase(VaceJobPhase.Notifying);
            try
            {
                var body = WorkflowJson.Serialize(result);
                await context.CallActivityAsync<int>(
                    NotifyCallbackActivity.Name, new NotifyCallbackActivity.Request(job.CallbackUrl, job.JobId, body), TransientRetry);
                return result;
            }
            catch (ActivityFailedException ex)
            {
                // The video is safe in storage; a callback that cannot be reached does not undo the job.
                var warning = new Jobs.JobIssue(Jobs.JobIssueSeverity.Warning, "callback_failed", "callback_url", $"The callback could not be delivered: {ex.FailureDetails.ErrorMessage}");
                return result with { Warnings = [.. result.Warnings, warning] };
            }
        }

        /// <summary>Calls an activity; when it fails for good (and <paramref name="onlyWhen"/> holds), the job fails with <paramref name="code"/>.</summary>
        private async Task<T> CallAsync<T>(string name, object input, ActivityRetryPolicy retry, string code, Func<ActivityFailureDetails, bool>? onlyWhen = null)
        {
            try
            {
                return await context.CallActivityAsync<T>(name, input, retry);
            }
            catch (ActivityFailedException ex) when (onlyWhen?.Invoke(ex.FailureDetails) ?? true)
            {
                throw new JobFailedException(code, ex.FailureDetails.ErrorMessage);
            }
        }

        private VaceJobResult Failure(string code, string message, PollTaskActivity.Result? task = null) =>
            (task is null ? Outcome(null) : Outcome(task)) with { Succeeded = false, ErrorCode = code, ErrorMessage = message };

        private VaceJobResult Outcome(PollTaskActivity.Result? task) => new()
        {
            JobId = job.JobId,
            Succeeded = false,
            TaskId = _status.TaskId,
            TaskStatus = task?.Status.ToWire() ?? _status.TaskStatus,
            Usage = task?.Usage,
            SubmitTime = task?.SubmitTime,
            ScheduledTime = task?.ScheduledTime,
            EndTime = task?.EndTime,
            Warnings = job.Warnings,
        };

        private void BeginPhase(VaceJobPhase phase)
        {
            EndPhase();
            _phase = phase.ToString();
            _phaseStarted = context.CurrentUtcDateTime;
            Show(_status with { Phase = phase });
        }

        private void EndPhase()
        {
            if (_phase is not null)
            {
                _phases[_phase] = new PhaseTiming(_phaseStarted, context.CurrentUtcDateTime);
                _phase = null;
            }
        }

        private void Show(VaceJobStatus status)
        {
            _status = status;
            context.SetCustomStatus(status);
        }

        private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

        private static string Append(string? first, string second) => first is null ? second : $"{first} {second}";
    }

    /// <summary>Ends the steps of a job with a code of its own.</summary>
    private sealed class JobFailedException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Job {JobId} submitted as task {TaskId}")]
        public static partial void Submitted(ILogger logger, string jobId, string taskId);

        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Job {JobId} succeeded: {Blob}")]
        public static partial void Succeeded(ILogger logger, string jobId, string blob);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Job {JobId} failed: {ErrorCode}")]
        public static partial void Failed(ILogger logger, string jobId, string errorCode);
    }
}
