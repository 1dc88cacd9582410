using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Workflow;

// The steps before the task runs: the inputs probed, a task slot waited for, the task submitted.
public sealed partial class VaceJobOrchestrator
{
    private sealed partial class Run
    {
        /// <summary>Waits for a task slot: null once the job holds one, else how the job ended meanwhile.</summary>
        private async Task<VaceJobResult?> WaitForSlotAsync()
        {
            _timeline.Begin(VaceJobPhase.WaitingForSlot);
            var slotWait = job.SlotRetryInterval;
            for (var inLine = false; ; inLine = true)
            {
                var grant = await context.AcquireSlotAsync(job, JobSchedule.SlotLease(job), inLine, _transient);

                // Refused, the job still has a place in line: one that stops waiting (canceled, timed out) gives it
                // back, or the jobs behind it wait until the place goes stale (2 min or more).
                _holdsSlot = true;
                if (grant.Granted && context.CurrentUtcDateTime < Deadline)
                {
                    _timeline.Show(s => s with { SlotAcquiredAt = context.CurrentUtcDateTime, QueuePosition = null });
                    return null;
                }

                // A slot granted only at (or past) the deadline is given back unused: the job is out of time before
                // it pays.
                if (context.CurrentUtcDateTime >= Deadline)
                {
                    return Failure(VaceJobErrorCodes.Timeout, $"No task slot became free within {job.MaxWait}.");
                }

                _timeline.Show(s => s with { QueuePosition = grant.Position });
                _slotFreed ??= context.WaitForExternalEvent<string?>(SlotFreedEvent);
                var askAgainAt = Min(context.CurrentUtcDateTime + slotWait, Deadline);
                if (await WaitOrCancelAsync(askAgainAt, _slotFreed) is { } reason)
                {
                    return Failure(VaceJobErrorCodes.Canceled, reason);
                }

                if (_slotFreed.IsCompleted)
                {
                    _slotFreed = null;
                }

                slotWait = JobSchedule.NextSlotDelay(slotWait, job);
            }
        }

        /// <summary>Probes the inputs: null when all are usable, else the job's failure naming the problems.</summary>
        private async Task<VaceJobResult?> ProbeAsync()
        {
            _timeline.Begin(VaceJobPhase.Probing);
            var problems = await OrFail(context.ProbeInputsAsync(job, _transient), VaceJobErrorCodes.InvalidInput);
            return problems.Count > 0 ? Failure(VaceJobErrorCodes.InvalidInput, string.Join(" ", problems)) : null;
        }

        /// <summary>Submits, waiting on durable timers while the service refuses for now (creating nothing).</summary>
        /// <remarks>Storage trouble inside the activity is retried by the engine's policy.</remarks>
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

        /// <summary>Gives back the slot or the place in line.</summary>
        /// <remarks>
        /// If storage keeps failing, the job goes on: the slot expires with its lease, and failing here would end the
        /// orchestration with an exception and leave the video uncopied.
        /// </remarks>
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

        private static Jobs.JobIssue SubmittedAgain(int interrupted) => new(
            Jobs.JobIssueSeverity.Warning,
            Jobs.JobIssueCodes.SubmittedAgain,
            "input",
            $"{interrupted} earlier submission(s) of this job were interrupted before the service's answer was "
            + "recorded, and it was submitted again (Vace:ResubmitInterrupted): each interrupted attempt may also have "
            + "created a task at DashScope, billed if it succeeded. Look for tasks created around this job's submit "
            + "time in the DashScope console.");
    }
}
