using System.Text.Json.Nodes;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// Runs one VACE job to its end, like the monitor pattern: probe the inputs → wait for a task slot → submit →
/// poll on durable timers until the task ends or the deadline passes → release the slot → copy the video into
/// owned storage → write the manifest → notify the callback. A <see cref="CancelEvent"/> raised on the instance
/// ends the job as Canceled at its next wait. A long task continues as new every
/// <see cref="VaceJobRequest.PollsPerExecution"/> polls (<see cref="VaceJobResume"/>), keeping the history short.
/// Deterministic: time comes from the context and every setting from the input.
/// </summary>
[DurableTask(Name)]
public sealed partial class VaceJobOrchestrator : TaskOrchestrator<VaceJobRequest, VaceJobResult>
{
    public const string Name = "VaceJob";

    /// <summary>The external event that asks a job to stop; its data is the reason (optional).</summary>
    public const string CancelEvent = "Cancel";

    /// <summary>
    /// For steps that fail only through passing trouble (storage, network): 5 attempts, waiting from the job's
    /// <see cref="VaceJobRequest.StepRetryInterval"/> and doubling up to 1 min (2, 4, 8, 16 s by default).
    /// </summary>
    internal static RetryPolicy TransientRetry(VaceJobRequest job) => new(5, job.StepRetryInterval, 2.0, TimeSpan.FromMinutes(1))
    {
        // Another job's blob under this job's name stays another's: trying again cannot help.
        HandleFailure = failure => failure.ErrorType != typeof(OutputConflictException).FullName,
    };

    /// <summary>
    /// For the output copy: the result's URL lives 24 hours after the task ends, and the video is paid for, so passing
    /// trouble (storage, network) is retried with backoff, up to 15 minutes apart, for the job's
    /// <see cref="VaceJobRequest.OutputCopyWindow"/> (23 hours) before giving up.
    /// </summary>
    internal static RetryPolicy CopyRetry(VaceJobRequest job) =>
        new(10_000, job.StepRetryInterval, 2.0, TimeSpan.FromMinutes(15), retryTimeout: job.OutputCopyWindow);

    /// <summary>Submissions the service refused for now (throttling recovers within about a minute): attempts and their spacing.</summary>
    internal const int SubmitAttempts = 8;

    internal static readonly TimeSpan SubmitFirstRetry = TimeSpan.FromSeconds(5);

    internal static readonly TimeSpan SubmitMaxRetry = TimeSpan.FromMinutes(1);

    public override async Task<VaceJobResult> RunAsync(TaskOrchestrationContext context, VaceJobRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return await new Run(context, input).ExecuteAsync();
    }

    /// <summary>The delay before the next poll: from the initial interval, doubling up to the steady one.</summary>
    internal static TimeSpan NextPollDelay(TimeSpan previous, VaceJobRequest job) => Min(previous * 2, job.PollInterval);

    /// <summary>
    /// The delay before asking again for a slot: doubling up to 4 intervals. Asking less often the longer a job
    /// waits keeps its history short; its place in line is kept meanwhile, well inside the line's staleness limit.
    /// </summary>
    internal static TimeSpan NextSlotDelay(TimeSpan previous, VaceJobRequest job) => Min(previous * 2, job.SlotRetryInterval * 4);

    /// <summary>The wait after refused submission <paramref name="attempt"/> (1-based): the service's Retry-After, else doubling from 5 s up to 1 min.</summary>
    internal static TimeSpan SubmitDelay(int attempt, TimeSpan? retryAfter) =>
        retryAfter is { } asked && asked > TimeSpan.Zero
            ? Min(asked, SubmitMaxRetry)
            : Min(SubmitFirstRetry * Math.Pow(2, attempt - 1), SubmitMaxRetry);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// The warnings the custom status shows: at most 20, each cut to 300 characters, so the status stays far below
    /// the engine's 16 KB limit whatever the document (the manifest keeps them all).
    /// </summary>
    internal static string[] StatusWarnings(VaceJobRequest job)
    {
        var shown = job.Warnings.Take(20).Select(w => $"{w.Path}: {w.Message}").Select(w => w.Length <= 300 ? w : w[..297] + "...").ToList();
        if (job.Warnings.Count > shown.Count)
        {
            shown.Add($"and {job.Warnings.Count - shown.Count} more warnings (see the manifest)");
        }

        return [.. shown];
    }

    /// <summary>The state of one execution; a new one on every replay.</summary>
    private sealed class Run(TaskOrchestrationContext context, VaceJobRequest job)
    {
        private readonly ILogger _log = context.CreateReplaySafeLogger(typeof(VaceJobOrchestrator).FullName!);
        private readonly Task<string?> _cancel = context.WaitForExternalEvent<string?>(CancelEvent);
        private readonly TaskOptions _transient = TaskOptions.FromRetryPolicy(TransientRetry(job));
        private readonly Dictionary<string, PhaseTiming> _phases = job.Resume is { } resume ? new(resume.Phases) : [];
        private VaceJobStatus _status = job.Resume?.Status ?? new() { Warnings = StatusWarnings(job) };

        /// <summary>The job holds a task slot, or its place in line for one: either is given back before the job ends.</summary>
        private bool _holdsSlot = job.Resume is not null;
        private string? _phase = job.Resume is null ? null : nameof(VaceJobPhase.Generating);
        private DateTime _phaseStarted = job.Resume?.PhaseStarted ?? default;

        private DateTime Deadline { get; } = job.Resume?.Deadline ?? context.CurrentUtcDateTime + job.MaxWait;

        public async Task<VaceJobResult> ExecuteAsync()
        {
            VaceJobResult? result;
            try
            {
                result = await RunStepsAsync();
                if (result is null)
                {
                    // Continued as new: the engine discards this execution's output; the next one ends the job.
                    return Outcome(null);
                }
            }
            catch (JobFailedException ex)
            {
                result = Failure(ex.Code, ex.Message);
            }
            catch (TaskFailedException ex)
            {
                result = Failure(VaceJobErrorCodes.StepFailed, $"{ex.TaskName} kept failing: {ex.FailureDetails.ErrorMessage}");
            }

            if (_holdsSlot)
            {
                await ReleaseSlotAsync();
            }

            result = await WriteManifestAsync(result);
            var notified = await NotifyAsync(result);
            if (notified != result)
            {
                // The callback could not be delivered: the manifest, the job's record, says so too.
                result = await WriteManifestAsync(notified);
            }
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

        /// <summary>The job's steps; null when it continued as new.</summary>
        private async Task<VaceJobResult?> RunStepsAsync()
        {
            if (job.Resume is { } resume)
            {
                Show(_status);
                return await FinishAsync(resume.TaskId, resume.NextPollDelay);
            }

            if (job.Media.Count > 0)
            {
                BeginPhase(VaceJobPhase.Probing);
                var problems = await CallAsync<IReadOnlyList<string>>(ProbeInputsActivity.Name, job.Media, VaceJobErrorCodes.InvalidInput);
                if (problems.Count > 0)
                {
                    return Failure(VaceJobErrorCodes.InvalidInput, string.Join(" ", problems));
                }
            }

            if (CanceledReason() is { } canceledWhileProbing)
            {
                return Failure(VaceJobErrorCodes.Canceled, canceledWhileProbing);
            }

            BeginPhase(VaceJobPhase.WaitingForSlot);
            var slotWait = job.SlotRetryInterval;
            while (true)
            {
                var grant = await context.CallActivityAsync<SlotGrant>(
                    AcquireSlotActivity.Name, new AcquireSlotActivity.Request(job.JobId, job.MaxWait + TimeSpan.FromMinutes(15)), _transient);

                // Refused, the job still has a place in line: one that stops waiting (canceled, timed out) gives it back,
                // or the jobs behind it wait until the place goes stale (2 min or more).
                _holdsSlot = true;
                if (grant.Granted && context.CurrentUtcDateTime < Deadline)
                {
                    Show(_status with { SlotAcquiredAt = context.CurrentUtcDateTime, QueuePosition = null });
                    break;
                }

                // A slot granted only at (or past) the deadline is given back unused: the job is out of time before it pays.
                if (context.CurrentUtcDateTime >= Deadline)
                {
                    return Failure(VaceJobErrorCodes.Timeout, $"No task slot became free within {job.MaxWait}.");
                }

                Show(_status with { QueuePosition = grant.Position });
                if (await WaitOrCancelAsync(Min(context.CurrentUtcDateTime + slotWait, Deadline)) is { } reason)
                {
                    return Failure(VaceJobErrorCodes.Canceled, reason);
                }

                slotWait = NextSlotDelay(slotWait, job);
            }

            BeginPhase(VaceJobPhase.Submitting);
            var submitted = await SubmitAsync();
            if (submitted.TaskId is not { } taskId)
            {
                return Failure(submitted.ErrorCode!, submitted.ErrorMessage!);
            }

            Log.Submitted(_log, job.JobId, taskId);
            BeginPhase(VaceJobPhase.Generating);
            Show(_status with { TaskId = taskId, TaskStatus = DashScopeTaskStatus.Pending.ToWire() });
            return await FinishAsync(taskId, job.InitialPollInterval);
        }

        /// <summary>From the submitted task to the copied video; null when the job continued as new while polling.</summary>
        private async Task<VaceJobResult?> FinishAsync(string taskId, TimeSpan firstPollDelay)
        {
            var (task, canceledBecause, continued) = await PollUntilEndAsync(taskId, firstPollDelay);
            if (continued)
            {
                return null;
            }

            if (canceledBecause is not null)
            {
                var canceled = await context.CallActivityAsync<bool>(CancelTaskActivity.Name, taskId, _transient);
                await ReleaseSlotAsync();
                return Failure(VaceJobErrorCodes.Canceled,
                    $"{canceledBecause}{(canceled ? "; the task was canceled" : $"; the task was already {task?.Status.ToWire() ?? "PENDING"} and could not be canceled")}.", task);
            }

            await ReleaseSlotAsync();
            switch (task!.Status)
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
                    var canceled = await context.CallActivityAsync<bool>(CancelTaskActivity.Name, taskId, _transient);
                    return Failure(VaceJobErrorCodes.Timeout,
                        $"The task was still {task.Status.ToWire()} after {job.MaxWait}{(canceled ? "; it was canceled" : "")}.", task);
            }

            BeginPhase(VaceJobPhase.Copying);
            CopyOutputActivity.Result copy;
            try
            {
                copy = await context.CallActivityAsync<CopyOutputActivity.Result>(
                    CopyOutputActivity.Name,
                    new CopyOutputActivity.Request(job.JobId, taskId, task.VideoUrl, job.OutputContainer, job.OutputBlob),
                    TaskOptions.FromRetryPolicy(CopyRetry(job)));
            }
            catch (TaskFailedException ex)
            {
                return Failure(VaceJobErrorCodes.OutputExpired,
                    $"The output could not be copied within {job.OutputCopyWindow}, before its URL expired: {ex.FailureDetails.ErrorMessage}", task);
            }

            if (copy.ExpiredReason is { } expired)
            {
                return Failure(VaceJobErrorCodes.OutputExpired, expired, task);
            }

            if (copy.ConflictReason is { } conflict)
            {
                return Failure(VaceJobErrorCodes.OutputConflict, conflict, task);
            }

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

        /// <summary>
        /// Submits, waiting on durable timers while the service refuses for now (it created nothing then). Storage
        /// trouble inside the activity is retried by the engine's policy.
        /// </summary>
        private async Task<SubmitTaskActivity.Result> SubmitAsync()
        {
            for (var attempt = 1; ; attempt++)
            {
                // A cancel that came while the job waited in line or for the slot: nothing is paid for yet.
                if (CanceledReason() is { } reason)
                {
                    return new SubmitTaskActivity.Result(null, VaceJobErrorCodes.Canceled, reason);
                }

                var submitted = await context.CallActivityAsync<SubmitTaskActivity.Result>(
                    SubmitTaskActivity.Name, new SubmitTaskActivity.Request(job.JobId, job.RequestJson), _transient);
                if (!submitted.Retryable || attempt >= SubmitAttempts)
                {
                    return submitted;
                }

                if (await WaitOrCancelAsync(context.CurrentUtcDateTime + SubmitDelay(attempt, submitted.RetryAfter)) is { } canceled)
                {
                    return new SubmitTaskActivity.Result(null, VaceJobErrorCodes.Canceled, canceled);
                }
            }
        }

        /// <summary>
        /// Polls on durable timers until the task ends, the deadline passes or the job is canceled — or, after
        /// <see cref="VaceJobRequest.PollsPerExecution"/> polls, continues as new with the state to pick up from.
        /// </summary>
        private async Task<(PollTaskActivity.Result? Task, string? CanceledBecause, bool Continued)> PollUntilEndAsync(string taskId, TimeSpan delay)
        {
            PollTaskActivity.Result? task = null;
            for (var polls = 1; ; polls++)
            {
                if (await WaitOrCancelAsync(Min(context.CurrentUtcDateTime + delay, Deadline)) is { } reason)
                {
                    return (task, reason, false);
                }

                delay = NextPollDelay(delay, job);
                task = await context.CallActivityAsync<PollTaskActivity.Result>(PollTaskActivity.Name, taskId, _transient);
                Show(_status with { TaskStatus = task.Status.ToWire(), PollCount = _status.PollCount + 1, LastPolledAt = context.CurrentUtcDateTime });

                // Timers may fire a little early: the deadline is checked against the context's time, never assumed.
                if (task.Status.IsTerminal() || task.Status == DashScopeTaskStatus.Unknown || context.CurrentUtcDateTime >= Deadline)
                {
                    return (task, null, false);
                }

                if (polls >= job.PollsPerExecution)
                {
                    // A Cancel already received belongs to this execution (only events nobody waits for carry over).
                    if (CanceledReason() is { } canceled)
                    {
                        return (task, canceled, false);
                    }

                    context.ContinueAsNew(
                        job with { Resume = new VaceJobResume(taskId, Deadline, delay, _status, _phases, _phaseStarted) },
                        preserveUnprocessedEvents: true);
                    return (task, null, true);
                }
            }
        }

        /// <summary>The reason of a Cancel already received, or null.</summary>
        private string? CanceledReason() =>
            _cancel.IsCompleted ? (_cancel.Result is { Length: > 0 } why ? $"Canceled: {why}" : "Canceled by request") : null;

        /// <summary>Waits on a durable timer, or until the job is canceled: then the reason, else null.</summary>
        private async Task<string?> WaitOrCancelAsync(DateTime fireAt)
        {
            using var timerCancel = new CancellationTokenSource();
            var timer = context.CreateTimer(fireAt, timerCancel.Token);
            if (await Task.WhenAny(timer, _cancel) == _cancel)
            {
                // Synchronously: CancelAsync would resume the orchestrator on the thread pool, outside its episode,
                // and the engine would take the episode as having nothing more to do — the job would hang.
                timerCancel.Cancel();
                return CanceledReason();
            }

            return null;
        }

        /// <summary>
        /// Gives back the slot or the place in line. If storage keeps failing, the job goes on: the slot expires with
        /// its lease, and failing here would end the orchestration with an exception and leave the video uncopied.
        /// </summary>
        private async Task ReleaseSlotAsync()
        {
            if (!_holdsSlot)
            {
                return;
            }

            _holdsSlot = false;
            try
            {
                await context.CallActivityAsync<bool>(ReleaseSlotActivity.Name, job.JobId, _transient);
            }
            catch (TaskFailedException ex)
            {
                Log.SlotNotReleased(_log, job.JobId, ex.FailureDetails.ErrorMessage);
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
                    WriteManifestActivity.Name, new WriteManifestActivity.Request(job.OutputContainer, job.ManifestBlob, manifest), _transient);
                return manifest.Result;
            }
            catch (TaskFailedException ex)
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
                    NotifyCallbackActivity.Name, new NotifyCallbackActivity.Request(job.CallbackUrl, job.JobId, body), _transient);
                return result;
            }
            catch (TaskFailedException ex)
            {
                // The video is safe in storage; a callback that cannot be reached does not undo the job.
                var warning = new Jobs.JobIssue(Jobs.JobIssueSeverity.Warning, "callback_failed", "callback_url", $"The callback could not be delivered: {ex.FailureDetails.ErrorMessage}");
                return result with { Warnings = [.. result.Warnings, warning] };
            }
        }

        /// <summary>Calls an activity; when it fails for good, the job fails with <paramref name="code"/>.</summary>
        private async Task<T> CallAsync<T>(string name, object input, string code)
        {
            try
            {
                return await context.CallActivityAsync<T>(name, input, _transient);
            }
            catch (TaskFailedException ex)
            {
                throw new JobFailedException(code, ex.FailureDetails.ErrorMessage);
            }
        }

        private VaceJobResult Failure(string code, string message, PollTaskActivity.Result? task = null) =>
            Outcome(task) with { Succeeded = false, ErrorCode = code, ErrorMessage = message };

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

        [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Job {JobId} could not give back its task slot, which expires with its lease: {Error}")]
        public static partial void SlotNotReleased(ILogger logger, string jobId, string error);
    }
}
