using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Workflow;

// The task followed to its end on durable timers, continuing as new, and a billed task followed past the job.
public sealed partial class VaceJobOrchestrator
{
    private sealed partial class Run
    {
        /// <summary>Ends a job canceled or out of time: its task canceled if it can be, else followed.</summary>
        /// <remarks>Null when the job continued as new while following the task.</remarks>
        private async Task<VaceJobResult?> StopAsync(
            string taskId, PollTaskActivity.Result? task, string? canceledBecause)
        {
            var status = task?.Status ?? DashScopeTaskStatus.Pending;
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
                $"{why}; the task was already {status.ToWire()} and could not be canceled: it runs on and is billed. "
                + $"The job holds its task slot until the task ends (at most {job.BilledTaskCeiling} past the "
                + "deadline) and copies a video it makes.",
                task));
        }

        /// <summary>Follows a task that runs on, billed, after the job ended with <paramref name="outcome"/>.</summary>
        /// <remarks>
        /// Reports the outcome now (manifest, callback), keeps the slot — the account's limit counts the task —
        /// until a poll sees the task end or <see cref="VaceJobRequest.BilledTaskCeiling"/> passes, then copies a
        /// video the task made. The outcome stays the job's; the manifest adds what became of the task. Null when it
        /// continued as new.
        /// </remarks>
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
            var ended = outcome with
            {
                TaskStatus = task?.Status.ToWire() ?? outcome.TaskStatus,
                Usage = task?.Usage ?? outcome.Usage,
                EndTime = task?.EndTime,
            };
            if (task is { Status: DashScopeTaskStatus.Succeeded, HasVideo: true })
            {
                var copied = await CopyAsync(taskId, ended);
                return copied.BlobUrl is not null
                    ? copied with
                    {
                        ErrorMessage = Append(outcome.ErrorMessage, "The task then succeeded; its video, paid for, "
                            + $"was copied to {job.OutputContainer}/{job.OutputBlob}."),
                    }
                    : copied with
                    {
                        ErrorCode = outcome.ErrorCode,
                        ErrorMessage = Append(outcome.ErrorMessage,
                            $"The task then succeeded, but its video could not be copied: {copied.ErrorMessage}"),
                    };
            }

            return ended with
            {
                ErrorMessage = Append(
                    outcome.ErrorMessage,
                    task is { } t && (t.Status.IsTerminal() || t.Status == DashScopeTaskStatus.Unknown)
                    ? $"The task then ended {t.Status.ToWire()}."
                    : $"The task had not ended {job.BilledTaskCeiling} past the deadline; its slot was given back."),
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
                // The service could not be asked (an outage): the task may run on, and is followed as running.
                Log.TaskNotCanceled(_log, job.JobId, taskId, ex.FailureDetails.ErrorMessage);
                return false;
            }
        }

        /// <summary>Polls on durable timers until the task ends, <paramref name="until"/> passes or a cancel.</summary>
        /// <remarks>
        /// A cancel counts only until the job's outcome is reported. After
        /// <see cref="VaceJobRequest.PollsPerExecution"/> polls the job continues as new with the state to pick up
        /// from (and the outcome already reported). A poll that cannot reach the service changes nothing but the wait,
        /// which backs off up to 5 min.
        /// </remarks>
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
                    // The job has ended for its user: a cancel (perhaps the one that ended it) no longer cuts a
                    // wait short.
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
                    _timeline.Show(s => s with
                    {
                        TaskStatus = task.Status.ToWire(),
                        Outage = null,
                        OutageSince = null,
                        PollCount = s.PollCount + 1,
                        LastPolledAt = context.CurrentUtcDateTime,
                    });
                }

                // Timers may fire a little early: the deadline is checked against the context's time, never assumed.
                if (task is { } t && (t.Status.IsTerminal() || t.Status == DashScopeTaskStatus.Unknown)
                    || context.CurrentUtcDateTime >= until)
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
                            Resume = new VaceJobResume(
                                taskId,
                                Deadline,
                                _outageDelay ?? delay,
                                _timeline.Status,
                                _timeline.Phases,
                                _timeline.PhaseStarted,
                                _reported)
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

        /// <summary>The recent model times of the job's kind, for its polls; none when they cannot be read.</summary>
        /// <remarks>The schedule is then the SDK's. Tried once: the first poll should not wait for retries.</remarks>
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

        /// <summary>Records the model time of a task that succeeded: from its submission to its end.</summary>
        /// <remarks>By the service's clock if it says, else by the orchestration's.</remarks>
        private async Task RecordModelTimeAsync(PollTaskActivity.Result task)
        {
            if (job.ModelTimeKey.Length == 0)
            {
                return;
            }

            var serviceTime =
                DashScopeTaskOutput.ParseTime(task.EndTime) - DashScopeTaskOutput.ParseTime(task.SubmitTime);
            var seconds = serviceTime is { } taken && taken > TimeSpan.Zero
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
    }
}
