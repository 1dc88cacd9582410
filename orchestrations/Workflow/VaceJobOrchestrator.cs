using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>Runs one VACE job to its end through the seven steps of docs/workflow.md.</summary>
/// <remarks>
/// <para>
/// Like the monitor pattern: probe the inputs → wait for a task slot → submit → poll on durable timers until the task
/// ends or the deadline passes → release the slot → copy the video into owned storage → write the manifest → notify
/// the callback. This file holds the execution's state and the step list; each stage's mechanics sit in a partial
/// file beside it (<c>.Admission</c>, <c>.Polling</c>, <c>.Reporting</c>, <c>.Waiting</c>), the activities are
/// called through <see cref="WorkflowCalls"/>, every wait and retry comes from <see cref="JobSchedule"/>, and the
/// phases and custom status are kept by <see cref="JobTimeline"/>.
/// </para>
/// <para>
/// A <see cref="CancelEvent"/> raised on the instance ends the job as Canceled at its next wait. Polls that cannot
/// reach the service keep the job waiting, backing off. A task that is RUNNING when the job is canceled or out of
/// time cannot be canceled: the job's outcome is reported at once (manifest, callback), and the job keeps the task's
/// slot until a poll sees the task end — at most <see cref="VaceJobRequest.BilledTaskCeiling"/> past the deadline —
/// then copies a video it made (it is paid for). A long task continues as new every
/// <see cref="VaceJobRequest.PollsPerExecution"/> polls (<see cref="VaceJobResume"/>), keeping the history short.
/// </para>
/// <para>Deterministic: time comes from the context and every setting from the input.</para>
/// </remarks>
[DurableTask(Name)]
public sealed partial class VaceJobOrchestrator : TaskOrchestrator<VaceJobRequest, VaceJobResult>
{
    public const string Name = "VaceJob";

    /// <summary>The external event that asks a job to stop; its data is the reason (optional).</summary>
    public const string CancelEvent = "Cancel";

    /// <summary>The external event that tells a job waiting in line that a task slot was given back.</summary>
    /// <remarks>
    /// The job asks at once instead of at its next timer (which stays, for an event that never comes). Its data is
    /// the job that gave the slot back.
    /// </remarks>
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

        /// <summary>The one wait for <see cref="SlotFreedEvent"/>: an event completes the wait awaited.</summary>
        private Task<string?>? _slotFreed;
        private readonly TaskOptions _transient = TaskOptions.FromRetryPolicy(JobSchedule.TransientRetry(job));
        private readonly JobTimeline _timeline = new(context, job);

        /// <summary>The job holds a task slot or its place in line: either is given back before the job ends.</summary>
        private bool _holdsSlot = job.Resume is not null;

        /// <summary>The job's outcome, once reported (manifest, callback) while it follows a billed task.</summary>
        /// <remarks>From then on a cancel changes nothing, and a continued execution carries it.</remarks>
        private VaceJobResult? _reported = job.Resume?.Reported;

        /// <summary>How the task's polls are scheduled (<see cref="JobSchedule"/>).</summary>
        /// <remarks>With when the task was submitted and when the last poll was due, counted from then.</remarks>
        private PollPlan _plan = job.Resume?.Plan ?? PollPlan.SteadyEvery(job.PollInterval);
        private DateTime _submittedAt = job.Resume?.SubmittedAt ?? context.CurrentUtcDateTime;
        private TimeSpan _lastDue = job.Resume?.LastDue ?? TimeSpan.Zero;

        /// <summary>The wait before the next poll while the service cannot be reached; null otherwise.</summary>
        private TimeSpan? _outageDelay =
            job.Resume is { Status.Outage: not null } stalled ? stalled.NextPollDelay : null;

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
                result = Failure(
                    VaceJobErrorCodes.StepFailed, $"{ex.TaskName} kept failing: {ex.FailureDetails.ErrorMessage}");
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

        /// <summary>From the submitted task to the copied video; null when the job continued as new.</summary>
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
                return await StopAsync(taskId, task, canceledBecause);
            }

            await ReleaseSlotAsync();
            if (task!.Status == DashScopeTaskStatus.Succeeded)
            {
                await RecordModelTimeAsync(task);
            }

            return await EndedAsync(taskId, task);
        }
    }
}
