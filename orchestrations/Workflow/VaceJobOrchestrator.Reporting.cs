using System.Text.Json.Nodes;
using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

// The job's outcome: the video copied, the manifest written, the callback notified.
public sealed partial class VaceJobOrchestrator
{
    private sealed partial class Run
    {
        /// <summary>The job's outcome from its ended task: the copied video, or the task's failure.</summary>
        private async Task<VaceJobResult> EndedAsync(string taskId, PollTaskActivity.Result task)
        {
            switch (task.Status)
            {
                case DashScopeTaskStatus.Succeeded when task.HasVideo:
                    return await CopyAsync(taskId, Outcome(task) with { Succeeded = true });
                case DashScopeTaskStatus.Failed:
                    return Failure(
                        task.Code ?? "TaskFailed", task.Message ?? "The task failed without a message.", task);
                case DashScopeTaskStatus.Canceled:
                    return Failure(VaceJobErrorCodes.Canceled, "The task was canceled.", task);
                case DashScopeTaskStatus.Unknown:
                    return Failure(
                        VaceJobErrorCodes.TaskUnknown,
                        "DashScope no longer knows the task (UNKNOWN): it expired or never existed.",
                        task);
                default:
                    return Failure(VaceJobErrorCodes.StepFailed, "The task succeeded without a video_url.", task);
            }
        }

        /// <summary>Copies the task's video to the output blob: <paramref name="outcome"/> with its details.</summary>
        /// <remarks>
        /// Or failed with the copy's own code (OutputExpired, OutputTooLarge, OutputRefused), or OutputExpired when it
        /// kept failing for its window. The copy asks the service for the video's signed URL itself, so the URL never
        /// enters the history.
        /// </remarks>
        private async Task<VaceJobResult> CopyAsync(string taskId, VaceJobResult outcome)
        {
            _timeline.Begin(VaceJobPhase.Copying);
            CopyOutputActivity.Result copy;
            try
            {
                var retry = TaskOptions.FromRetryPolicy(JobSchedule.CopyRetry(job));
                copy = await context.CopyOutputAsync(job, taskId, retry);
            }
            catch (TaskFailedException ex)
            {
                return outcome with
                {
                    Succeeded = false,
                    ErrorCode = VaceJobErrorCodes.OutputExpired,
                    ErrorMessage = $"The output could not be copied within {job.OutputCopyWindow}, before its URL "
                        + $"expired: {ex.FailureDetails.ErrorMessage}",
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

        /// <summary>Writes the manifest; <paramref name="reports"/> when it first reports the job's outcome.</summary>
        /// <remarks>
        /// The activity then measures the outcome; a rewrite — after a callback, or once a billed task has ended — is
        /// not counted again.
        /// </remarks>
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
                var why = $"The manifest could not be written: {ex.FailureDetails.ErrorMessage}";
                return result with { ErrorMessage = Append(result.ErrorMessage, why) };
            }
        }

        /// <summary>Reports the job's outcome: its manifest, then its callback.</summary>
        /// <remarks>A callback not delivered is recorded in the manifest too.</remarks>
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
                var warning = new Jobs.JobIssue(
                    Jobs.JobIssueSeverity.Warning,
                    "callback_failed",
                    "callback_url",
                    $"The callback could not be delivered: {ex.FailureDetails.ErrorMessage}");
                return result with { Warnings = [.. result.Warnings, warning] };
            }
        }

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

        private static string Append(string? first, string second) => first is null ? second : $"{first} {second}";
    }
}
