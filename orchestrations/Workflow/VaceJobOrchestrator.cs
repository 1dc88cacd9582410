using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.DashScope;

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
    private sealed partial class Run(TaskOrchestrationContext context, VaceJobRequest job)
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

            // 1. ProbeInputs: unusable inputs fail the job before anything is paid for.
            if (job.Media.Count > 0 && await ProbeAsync() is { } invalid)
            {
                return invalid;
            }

            if (CanceledReason() is { } canceledWhileProbing)
            {
                return Failure(VaceJobErrorCodes.Canceled, canceledWhileProbing);
            }

            // 2. AcquireSlot: first come first served, on durable timers, within the deadline.
            if (await WaitForSlotAsync() is { } noSlot)
            {
                return noSlot;
            }

            // 3. SubmitTask: the recent model times are read meanwhile, for the poll schedule.
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

            // 4.–7. PollTask, then CopyOutput, WriteManifest and NotifyCallback.
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

        private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
    }

    /// <summary>Ends the steps of a job with a code of its own.</summary>
    private sealed class JobFailedException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
