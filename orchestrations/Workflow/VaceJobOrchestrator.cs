using System.Text.Json.Nodes;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// Runs one VACE job to its end, like the monitor pattern: probe the inputs → wait for a task slot → submit →
/// poll on durable timers until the task ends or the deadline passes → release the slot → copy the video into
/// owned storage → write the manifest → notify the callback. A <see cref="CancelEvent"/> raised on the instance
/// ends the job as Canceled at its next wait. Polls that cannot reach the service keep the job waiting, backing off.
/// A task that is RUNNING when the job is canceled or out of time cannot be canceled: the job's outcome is reported
/// at once (manifest, callback), and the job keeps the task's slot until a poll sees the task end — at most
/// <see cref="VaceJobRequest.BilledTaskCeiling"/> past the deadline — then copies a video it made (it is paid for).
/// A long task continues as new every <see cref="VaceJobRequest.PollsPerExecution"/> polls
/// (<see cref="VaceJobResume"/>), keeping the history short.
/// Deterministic: time comes from the context and every setting from the input.
/// </summary>
[DurableTask(Name)]
public sealed partial class VaceJobOrchestrator : TaskOrchestrator<VaceJobRequest, VaceJobResult>
{
    public const string Name = "VaceJob";

    /// <summary>The external event that asks a job to stop; its data is the reason (optional).</summary>
    public const string CancelEvent = "Cancel";

    /// <summary>
    /// The external event that tells a job waiting in line that a task slot was given back: it asks at once instead of
    /// at its next timer (which stays, for an event that never comes). Its data is the job that gave the slot back.
    /// </summary>
    public const string SlotFreedEvent = "SlotFreed";

    public override async Task<VaceJobResult> RunAsync(TaskOrchestrationContext context, VaceJobRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return await new Run(context, input).ExecuteAsync();
    }

    /// <summary>The state of one execution; a new one on every replay.</summary>
    private sealed class Run(TaskOrchestrationContext context, VaceJobRequest job)
    {
        private readonly ILogger _log = context.CreateReplaySafeLogger(typeof(VaceJobOrchestrator).FullName!);
        private readonly Task<string?> _cancel = context.WaitForExternalEvent<string?>(CancelEvent);

        /// <summary>One wait for <see cref="SlotFreedEvent"/> at a time, so an event always completes the wait being awaited.</summary>
        private Task<string?>? _slotFreed;
        private readonly TaskOptions _transient = TaskOptions.FromRetryPolicy(JobSchedule.TransientRetry(job));
        private readonly JobTimeline _timeline = new(context, job);

        /// <summary>The job holds a task slot, or its place in line for one: either is given back before the job ends.</summary>
        private bool _holdsSlot = job.Resume is not null;

        /// <summary>
        /// The job's outcome, once reported (manifest, callback) while it follows a billed task: from then on a cancel
        /// changes nothing, and a continued execution carries it.
        /// </summary>
        private VaceJobResult? _reported = job.Resume?.Reported;

        /// <summary>How the task's polls are scheduled (<see cref="JobSchedule"/>), from when, and when the last was due.</summary>
        private PollPlan _plan = job.Resume?.Plan ?? PollPlan.SteadyEvery(job.PollInterval);
        private DateTime _submittedAt = job.Resume?.SubmittedAt ?? context.CurrentUtcDateTime;
        private TimeSpan _lastDue = job.Resume?.LastDue ?? TimeSpan.Zero;

        /// <summary>The wait before the next poll while the service cannot be reached (it backs off); null otherwise.</summary>
        private TimeSpan? _outageDelay = job.Resume is { Status.Outage: not null } stalled ? stalled.NextPollDelay : null;

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

            // A job that followed a billed task has called back already: its record is brought up to date.
            result = _reported is not null ? await WriteManifestAsync(result) : await ReportAsync(result);
            _timeline.End();
            _timeline.Show(s => s with { Phase = result.Succeeded ? VaceJobPhase.Succeeded : VaceJobPhase.Failed });
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
                _timeline.Show(_timeline.Status);
                return await FinishAsync(resume.TaskId);
            }

            if (job.Media.Count > 0)
            {
                _timeline.Begin(VaceJobPhase.Probing);
                var problems = await OrFail(context.ProbeInputsAsync(job, _transient), VaceJobErrorCodes.InvalidInput);
                if (problems.Count > 0)
                {
                    return Failure(VaceJobErrorCodes.InvalidInput, string.Join(" ", problems));
                }
            }

            if (CanceledReason() is { } canceledWhileProbing)
            {
                return Failure(VaceJobErrorCodes.Canceled, canceledWhileProbing);
            }

            _timeline.Begin(VaceJobPhase.WaitingForSlot);
            var slotWait = job.SlotRetryInterval;
            for (var inLine = false; ; inLine = true)
            {
                var grant = await context.AcquireSlotAsync(job, JobSchedule.SlotLease(job), inLine, _transient);

                // Refused, the job still has a place in line: one that stops waiting (canceled, timed out) gives it back,
                // or the jobs behind it wait until the place goes stale (2 min or more).
                _holdsSlot = true;
                if (grant.Granted && context.CurrentUtcDateTime < Deadline)
                {
                    _timeline.Show(s => s with { SlotAcquiredAt = context.CurrentUtcDateTime, QueuePosition = null });
                    break;
                }

                // A slot granted only at (or past) the deadline is given back unused: the job is out of time before it pays.
                if (context.CurrentUtcDateTime >= Deadline)
                {
                    return Failure(VaceJobErrorCodes.Timeout, $"No task slot became free within {job.MaxWait}.");
                }

                _timeline.Show(s => s with { QueuePosition = grant.Position });
                _slotFreed ??= context.WaitForExternalEvent<string?>(SlotFreedEvent);
                if (await WaitOrCancelAsync(Min(context.CurrentUtcDateTime + slotWait, Deadline), _slotFreed) is { } reason)
                {
                    return Failure(VaceJobErrorCodes.Canceled, reason);
                }

                if (_slotFreed.IsCompleted)
                {
                    _slotFreed = null;
                }

                slotWait = JobSchedule.NextSlotDelay(slotWait, job);
            }

            _timeline.Begin(VaceJobPhase.Submitting);
            var recent = RecentModelTimesAsync();
            var submitted = await SubmitAsync();
            if (submitted.TaskId is not { } taskId)
            {
                return Failure(submitted.ErrorCode!, submitted.ErrorMessage!);
            }

            _submittedAt = context.CurrentUtcDateTime;
            _plan = JobSchedule.Plan(job, await recent);

            Log.Submitted(_log, job.JobId, taskId);
            if (submitted.Interrupted > 0)
            {
                // Carried by the job itself, so every later report (and a continued execution) includes it.
                job = job with { Warnings = [.. job.Warnings, SubmittedAgain(submitted.Interrupted)] };
                _timeline.KeepWarnings(job);
            }

            _timeline.Begin(VaceJobPhase.Generating);
            _timeline.Show(s => s with { TaskId = taskId, TaskStatus = DashScopeTaskStatus.Pending.ToWire() });
            return await FinishAsync(taskId);
        }

        /// <summary>From the submitted task to the copied video; null when the job continued as new while polling.</summary>
        private async Task<VaceJobResult?> FinishAsync(string taskId)
        {
            if (_reported is { } reported)
            {
                return await FollowBilledTaskAsync(taskId, reported);
            }

            var (task, canceledBecause, continued) = await PollUntilEndAsync(taskId, Deadline);
            if (continued)
            {
                return null;
            }

            var status = task?.Status ?? DashScopeTaskStatus.Pending;
            if (canceledBecause is not null || !(status.IsTerminal() || status == DashScopeTaskStatus.Unknown))
            {
                // The job ends here, canceled or out of time; its task ends only if the service still lets it be canceled.
                var (code, why) = canceledBecause is not null
                    ? (VaceJobErrorCodes.Canceled, canceledBecause)
                    : (VaceJobErrorCodes.Timeout, $"The task was still {status.ToWire()} after {job.MaxWait}");
                if (await TryCancelTaskAsync(taskId))
                {
                    await ReleaseSlotAsync();
                    return Failure(code, $"{why}; the task was canceled.", task);
                }

                return await FollowBilledTaskAsync(taskId, Failure(code,
                    $"{why}; the task was already {status.ToWire()} and could not be canceled: it runs on and is billed. The job holds its task slot until the task ends (at most {job.BilledTaskCeiling} past the deadline) and copies a video it makes.",
                    task));
            }

            await ReleaseSlotAsync();
            if (task!.Status == DashScopeTaskStatus.Succeeded)
            {
                await RecordModelTimeAsync(task);
            }

            switch (task!.Status)
            {
                case DashScopeTaskStatus.Succeeded when task.HasVideo:
                    return await CopyAsync(taskId, Outcome(task) with { Succeeded = true });
                case DashScopeTaskStatus.Failed:
                    return Failure(task.Code ?? "TaskFailed", task.Message ?? "The task failed without a message.", task);
                case DashScopeTaskStatus.Canceled:
                    return Failure(VaceJobErrorCodes.Canceled, "The task was canceled.", task);
                case DashScopeTaskStatus.Unknown:
                    return Failure(VaceJobErrorCodes.TaskUnknown, "DashScope no longer knows the task (UNKNOWN): it expired or never existed.", task);
                default:
                    return Failure(VaceJobErrorCodes.StepFailed, "The task succeeded without a video_url.", task);
            }
        }

        /// <summary>
        /// The job has ended (<paramref name="outcome"/>) but its task runs on and is billed: reports the outcome now
        /// (manifest, callback), keeps the slot — the account's limit counts the task — until a poll sees the task end
        /// or <see cref="VaceJobRequest.BilledTaskCeiling"/> passes, then copies a video the task made. The outcome
        /// stays the job's; the manifest adds what became of the task. Null when it continued as new.
        /// </summary>
        private async Task<VaceJobResult?> FollowBilledTaskAsync(string taskId, VaceJobResult outcome)
        {
            if (_reported is null)
            {
                outcome = await ReportAsync(outcome);
                _reported = outcome;
                _timeline.Begin(VaceJobPhase.AwaitingBilledTask);

                // The end is no longer awaited by anyone: the task is followed at the steady interval from now.
                _plan = PollPlan.SteadyEvery(job.PollInterval);
                _lastDue = context.CurrentUtcDateTime - _submittedAt;
                _outageDelay = null;
            }

            _timeline.Show(s => s with { Outcome = outcome with { Warnings = [] } });
            var (task, _, continued) = await PollUntilEndAsync(taskId, Deadline + job.BilledTaskCeiling);
            if (continued)
            {
                return null;
            }

            await ReleaseSlotAsync();
            var ended = outcome with { TaskStatus = task?.Status.ToWire() ?? outcome.TaskStatus, Usage = task?.Usage ?? outcome.Usage, EndTime = task?.EndTime };
            if (task is { Status: DashScopeTaskStatus.Succeeded, HasVideo: true })
            {
                var copied = await CopyAsync(taskId, ended);
                return copied.BlobUrl is not null
                    ? copied with { ErrorMessage = Append(outcome.ErrorMessage, $"The task then succeeded; its video, paid for, was copied to {job.OutputContainer}/{job.OutputBlob}.") }
                    : copied with { ErrorCode = outcome.ErrorCode, ErrorMessage = Append(outcome.ErrorMessage, $"The task then succeeded, but its video could not be copied: {copied.ErrorMessage}") };
            }

            return ended with
            {
                ErrorMessage = Append(outcome.ErrorMessage, task is { } t && (t.Status.IsTerminal() || t.Status == DashScopeTaskStatus.Unknown)
                    ? $"The task then ended {t.Status.ToWire()}."
                    : $"The task had not ended {job.BilledTaskCeiling} past the deadline; its slot was given back."),
            };
        }

        /// <summary>
        /// Copies the task's video into the job's output blob: <paramref name="outcome"/> with the blob's details, or
        /// failed with the copy's own code (OutputExpired, OutputTooLarge, OutputRefused) or OutputExpired when it kept failing for its window.
        /// The copy asks the service for the video's signed URL itself, so the URL never enters the history.
        /// </summary>
        private async Task<VaceJobResult> CopyAsync(string taskId, VaceJobResult outcome)
        {
            _timeline.Begin(VaceJobPhase.Copying);
            CopyOutputActivity.Result copy;
            try
            {
                copy = await context.CopyOutputAsync(job, taskId, TaskOptions.FromRetryPolicy(JobSchedule.CopyRetry(job)));
            }
            catch (TaskFailedException ex)
            {
                return outcome with
                {
                    Succeeded = false,
                    ErrorCode = VaceJobErrorCodes.OutputExpired,
                    ErrorMessage = $"The output could not be copied within {job.OutputCopyWindow}, before its URL expired: {ex.FailureDetails.ErrorMessage}",
                };
            }

            if (copy.ErrorCode is { } code)
            {
                return outcome with { Succeeded = false, ErrorCode = code, ErrorMessage = copy.ErrorMessage };
            }

            return outcome with
            {
                Container = job.OutputContainer,
                Blob = job.OutputBlob,
                BlobUrl = copy.BlobUrl,
                Size = copy.Size,
                Sha256 = copy.Sha256,
                DurationSeconds = copy.DurationSeconds,
            };
        }

        /// <summary>Asks the service to cancel the task: true when it did (the task was still PENDING).</summary>
        private async Task<bool> TryCancelTaskAsync(string taskId)
        {
            try
            {
                return await context.CancelTaskAsync(taskId, _transient);
            }
            catch (TaskFailedException ex)
            {
                // The service could not be asked (an outage): the task may run on, so it is followed like a running one.
                Log.TaskNotCanceled(_log, job.JobId, taskId, ex.FailureDetails.ErrorMessage);
                return false;
            }
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

                var submitted = await context.SubmitTaskAsync(job, _transient);

                // A refusal that created nothing is tried again while the deadline allows: an outage of minutes is
                // waited out; the job ends with the service's last refusal once the next try would be too late.
                var retryAt = context.CurrentUtcDateTime + JobSchedule.SubmitDelay(attempt, submitted.RetryAfter, job);
                if (!submitted.Retryable || retryAt >= Deadline)
                {
                    return submitted;
                }

                if (await WaitOrCancelAsync(retryAt) is { } canceled)
                {
                    return new SubmitTaskActivity.Result(null, VaceJobErrorCodes.Canceled, canceled);
                }
            }
        }

        /// <summary>
        /// Polls on durable timers until the task ends, <paramref name="until"/> passes or (until its outcome is
        /// reported) the job is canceled — or, after <see cref="VaceJobRequest.PollsPerExecution"/> polls, continues as
        /// new with the state to pick up from (and the outcome already reported).
        /// A poll that cannot reach the service changes nothing but the wait, which backs off up to 5 min.
        /// </summary>
        private async Task<(PollTaskActivity.Result? Task, string? CanceledBecause, bool Continued)> PollUntilEndAsync(
            string taskId, DateTime until)
        {
            PollTaskActivity.Result? task = null;
            for (var polls = 1; ; polls++)
            {
                var delay = _outageDelay ?? JobSchedule.NextDue(_plan, _lastDue, _timeline.Status.PollCount) - _lastDue;
                var due = JobSchedule.NextPollAt(_submittedAt + _lastDue, delay, context.CurrentUtcDateTime);
                _lastDue = due - _submittedAt;
                var fireAt = Min(due + JobSchedule.TimerPad(_plan, _lastDue, delay), until);
                if (_reported is not null)
                {
                    // The job has ended for its user: a cancel (perhaps the one that ended it) no longer cuts a wait short.
                    await context.CreateTimer(fireAt, CancellationToken.None);
                }
                else if (await WaitOrCancelAsync(fireAt) is { } reason)
                {
                    return (task, reason, false);
                }

                var polled = await context.PollTaskAsync(taskId, _transient);
                if (polled.Outage is { } outage)
                {
                    _outageDelay = JobSchedule.NextOutageDelay(delay);
                    _timeline.Show(s => s with
                    {
                        Outage = outage,
                        OutageSince = s.OutageSince ?? context.CurrentUtcDateTime,
                        PollCount = s.PollCount + 1,
                        LastPolledAt = context.CurrentUtcDateTime,
                    });
                }
                else
                {
                    task = polled;
                    _outageDelay = null;
                    _timeline.Show(s => s with { TaskStatus = task.Status.ToWire(), Outage = null, OutageSince = null, PollCount = s.PollCount + 1, LastPolledAt = context.CurrentUtcDateTime });
                }

                // Timers may fire a little early: the deadline is checked against the context's time, never assumed.
                if (task is { } t && (t.Status.IsTerminal() || t.Status == DashScopeTaskStatus.Unknown) || context.CurrentUtcDateTime >= until)
                {
                    return (task, null, false);
                }

                if (polls >= job.PollsPerExecution)
                {
                    // A Cancel already received belongs to this execution (only events nobody waits for carry over).
                    if (_reported is null && CanceledReason() is { } canceled)
                    {
                        return (task, canceled, false);
                    }

                    context.ContinueAsNew(
                        job with
                        {
                            Resume = new VaceJobResume(taskId, Deadline, _outageDelay ?? delay, _timeline.Status, _timeline.Phases, _timeline.PhaseStarted, _reported)
                            {
                                Plan = _plan,
                                SubmittedAt = _submittedAt,
                                LastDue = _lastDue,
                            },
                        },
                        preserveUnprocessedEvents: true);
                    return (task, null, true);
                }
            }
        }

        /// <summary>
        /// The recent model times of the job's kind, for its poll schedule; none when they cannot be read (the schedule
        /// is then the SDK's). Tried once: the first poll should not wait for retries.
        /// </summary>
        private async Task<IReadOnlyList<double>> RecentModelTimesAsync()
        {
            try
            {
                return job.ModelTimeKey.Length == 0 ? [] : await context.RecentModelTimesAsync(job.ModelTimeKey);
            }
            catch (TaskFailedException)
            {
                return [];
            }
        }

        /// <summary>Records the model time of a task that succeeded: from its submission to its end, by the service's clock if it says.</summary>
        private async Task RecordModelTimeAsync(PollTaskActivity.Result task)
        {
            if (job.ModelTimeKey.Length == 0)
            {
                return;
            }

            var seconds = DashScopeTaskOutput.ParseTime(task.EndTime) - DashScopeTaskOutput.ParseTime(task.SubmitTime) is { } taken && taken > TimeSpan.Zero
                ? taken.TotalSeconds
                : (context.CurrentUtcDateTime - _submittedAt).TotalSeconds;

            try
            {
                await context.RecordModelTimeAsync(job.ModelTimeKey, seconds);
            }
            catch (TaskFailedException)
            {
                // Only a hint for later jobs' schedules: the job goes on without it.
            }
        }

        /// <summary>The reason of a Cancel already received, or null.</summary>
        private string? CanceledReason() =>
            _cancel.IsCompleted ? (_cancel.Result is { Length: > 0 } why ? $"Canceled: {why}" : "Canceled by request") : null;

        /// <summary>
        /// Waits on a durable timer, or until the job is canceled (then the reason, else null), or until
        /// <paramref name="wake"/> completes.
        /// </summary>
        private async Task<string?> WaitOrCancelAsync(DateTime fireAt, Task? wake = null)
        {
            using var timerCancel = new CancellationTokenSource();
            var timer = context.CreateTimer(fireAt, timerCancel.Token);
            if (await Task.WhenAny(wake is null ? [timer, _cancel] : [timer, _cancel, wake]) != timer)
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
                await context.ReleaseSlotAsync(job, _transient);
            }
            catch (TaskFailedException ex)
            {
                Log.SlotNotReleased(_log, job.JobId, ex.FailureDetails.ErrorMessage);
            }
        }

        /// <summary>
        /// Writes the manifest; <paramref name="reports"/> when this write first reports the job's outcome, which the
        /// activity then measures (a rewrite — after a callback, or once a billed task has ended — is not counted again).
        /// </summary>
        private async Task<VaceJobResult> WriteManifestAsync(VaceJobResult result, bool reports = false)
        {
            _timeline.Begin(VaceJobPhase.WritingManifest);
            var manifest = new VaceJobManifest
            {
                JobId = job.JobId,
                Request = JsonNode.Parse(job.RequestJson)!.AsObject(),
                Result = result with { ManifestBlob = job.ManifestBlob },
                Warnings = job.Warnings,
                Phases = _timeline.Phases,
            };
            try
            {
                await context.WriteManifestAsync(job, manifest, reports, _transient);
                return manifest.Result;
            }
            catch (TaskFailedException ex)
            {
                return result with { ErrorMessage = Append(result.ErrorMessage, $"The manifest could not be written: {ex.FailureDetails.ErrorMessage}") };
            }
        }

        /// <summary>Reports the job's outcome: its manifest, then its callback; a callback not delivered is recorded in the manifest too.</summary>
        private async Task<VaceJobResult> ReportAsync(VaceJobResult result)
        {
            result = await WriteManifestAsync(result, reports: true);
            var notified = await NotifyAsync(result);
            return notified == result ? result : await WriteManifestAsync(notified);
        }

        private async Task<VaceJobResult> NotifyAsync(VaceJobResult result)
        {
            if (job.CallbackUrl is null)
            {
                return result;
            }

            _timeline.Begin(VaceJobPhase.Notifying);
            try
            {
                var body = WorkflowJson.Serialize(result);
                await context.NotifyCallbackAsync(job.CallbackUrl, job.JobId, body, _transient);
                return result;
            }
            catch (TaskFailedException ex)
            {
                // The video is safe in storage; a callback that cannot be reached does not undo the job.
                var warning = new Jobs.JobIssue(Jobs.JobIssueSeverity.Warning, "callback_failed", "callback_url", $"The callback could not be delivered: {ex.FailureDetails.ErrorMessage}");
                return result with { Warnings = [.. result.Warnings, warning] };
            }
        }

        /// <summary>Awaits an activity's call; when it fails for good, the job fails with <paramref name="code"/>.</summary>
        private static async Task<T> OrFail<T>(Task<T> call, string code)
        {
            try
            {
                return await call;
            }
            catch (TaskFailedException ex)
            {
                throw new JobFailedException(code, ex.FailureDetails.ErrorMessage);
            }
        }

        private static Jobs.JobIssue SubmittedAgain(int interrupted) => new(
            Jobs.JobIssueSeverity.Warning,
            Jobs.JobIssueCodes.SubmittedAgain,
            "input",
            $"{interrupted} earlier submission(s) of this job were interrupted before the service's answer was recorded, and it was submitted again (Vace:ResubmitInterrupted): each interrupted attempt may also have created a task at DashScope, billed if it succeeded. Look for tasks created around this job's submit time in the DashScope console.");

        private VaceJobResult Failure(string code, string message, PollTaskActivity.Result? task = null) =>
            Outcome(task) with { Succeeded = false, ErrorCode = code, ErrorMessage = message };

        private VaceJobResult Outcome(PollTaskActivity.Result? task) => new()
        {
            JobId = job.JobId,
            Succeeded = false,
            TaskId = _timeline.Status.TaskId,
            TaskStatus = task?.Status.ToWire() ?? _timeline.Status.TaskStatus,
            Usage = task?.Usage,
            SubmitTime = task?.SubmitTime,
            ScheduledTime = task?.ScheduledTime,
            EndTime = task?.EndTime,
            Warnings = job.Warnings,
        };

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

        [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Job {JobId} could not ask DashScope to cancel task {TaskId}; it follows the task until it ends: {Error}")]
        public static partial void TaskNotCanceled(ILogger logger, string jobId, string taskId, string error);
    }
}
