using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// A job as the HTTP API shows it: runtime status, progress, and the result once it ended — or, for a document
/// rejected at intake (no instance, a rejection record), runtime status <see cref="RejectedStatus"/> with its errors.
/// </summary>
public sealed record JobStatusView(
    string Id,
    string RuntimeStatus,
    DateTime CreatedAt,
    DateTime LastUpdatedAt,
    VaceJobStatus? Progress,
    VaceJobResult? Result,
    string? Error)
{
    /// <summary>The job's <see cref="JobOutcome"/>, as the list shows it (a rejected document: Failed).</summary>
    public string? Outcome { get; init; }

    /// <summary>The job's VACE function (<c>input.function</c>); null for a rejected document.</summary>
    public string? Function { get; init; }

    /// <summary>
    /// A read SAS URL of the job's verified output video, minted fresh by each query and never stored (the result keeps
    /// the plain blob URL): what a browser plays the video from, straight from the owned storage.
    /// </summary>
    public string? OutputUrl { get; init; }

    /// <summary>The runtime status of a document that intake rejected: it never became an instance.</summary>
    public const string RejectedStatus = "Rejected";

    /// <summary>A rejected document's errors, each with its path (only for <see cref="RejectedStatus"/>).</summary>
    public IReadOnlyList<JobIssue>? Errors { get; init; }

    /// <summary>A rejected document's warnings (only for <see cref="RejectedStatus"/>).</summary>
    public IReadOnlyList<JobIssue>? Warnings { get; init; }

    /// <summary>The view of a document rejected at intake, from its rejection record.</summary>
    public static JobStatusView Rejected(JobIntake.RejectionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var message = string.Join(" ", record.Errors.Select(e => $"{e.Path}: {e.Message}"));
        return new JobStatusView(record.JobId, RejectedStatus, record.ReceivedAt, record.ReceivedAt, null,
            VaceJobResult.Failure(record.JobId, record.ErrorCode, message), $"{record.ErrorCode}: {message}")
        {
            Outcome = nameof(JobOutcome.Failed),
            Errors = record.Errors,
            Warnings = record.Warnings,
        };
    }

    /// <summary>The view of an instance read with its inputs and outputs.</summary>
    public static JobStatusView From(OrchestrationMetadata instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var progress = ProgressOf(instance);
        var result = ResultOf(instance, progress);
        var error = instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Failed => instance.FailureDetails?.ErrorMessage,
            OrchestrationRuntimeStatus.Terminated => "Terminated: " + instance.SerializedOutput,
            _ => result is { Succeeded: false } ? $"{result.ErrorCode}: {result.ErrorMessage}" : null,
        };
        return new JobStatusView(instance.InstanceId, instance.RuntimeStatus.ToString(), instance.CreatedAt.UtcDateTime, instance.LastUpdatedAt.UtcDateTime,
            progress, result, error)
        {
            Outcome = JobOutcomes.Of(instance, progress, result).ToString(),
            Function = RequestOf(instance)?.Function,
        };
    }

    /// <summary>The job's orchestration input, if the instance was read with it.</summary>
    public static VaceJobRequest? RequestOf(OrchestrationMetadata instance) =>
        instance?.SerializedInput is null ? null : instance.ReadInputAs<VaceJobRequest>();

    /// <summary>The job's progress (its custom status), if it showed any.</summary>
    public static VaceJobStatus? ProgressOf(OrchestrationMetadata instance) =>
        instance?.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<VaceJobStatus>();

    /// <summary>
    /// The job's result: the orchestration's output once it completed, or — while it still follows a billed task it
    /// could not cancel — the outcome it already reported (canceled, timed out).
    /// </summary>
    public static VaceJobResult? ResultOf(OrchestrationMetadata instance, VaceJobStatus? progress)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<VaceJobResult>() : progress?.Outcome;
    }
}
