using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Timing;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>The job's activities as typed calls on the orchestration context, one per step.</summary>
/// <remarks>
/// Each call schedules the activity under the name the Functions wrappers register it by, with the input record the
/// history holds; a running job replays unchanged through them.
/// </remarks>
internal static class WorkflowCalls
{
    /// <summary>Probes the inputs (step 1): the problems found, none when all are usable.</summary>
    public static Task<IReadOnlyList<string>> ProbeInputsAsync(
        this TaskOrchestrationContext context, VaceJobRequest job, TaskOptions? options = null) =>
        context.CallActivityAsync<IReadOnlyList<string>>(ProbeInputsActivity.Name, job.Media, options);

    /// <summary>Asks for a task slot (step 2), <paramref name="inLine"/> when the job asked before.</summary>
    public static Task<SlotGrant> AcquireSlotAsync(
        this TaskOrchestrationContext context, VaceJobRequest job, TimeSpan lease, bool inLine,
        TaskOptions? options = null) =>
        context.CallActivityAsync<SlotGrant>(
            AcquireSlotActivity.Name, new AcquireSlotActivity.Request(job.JobId, lease, inLine), options);

    /// <summary>Gives back the job's task slot or its place in line.</summary>
    public static Task<bool> ReleaseSlotAsync(
        this TaskOrchestrationContext context, VaceJobRequest job, TaskOptions? options = null) =>
        context.CallActivityAsync<bool>(ReleaseSlotActivity.Name, job.JobId, options);

    /// <summary>Submits the job's task (step 3), once per call: a refusal for now comes back as a result.</summary>
    public static Task<SubmitTaskActivity.Result> SubmitTaskAsync(
        this TaskOrchestrationContext context, VaceJobRequest job, TaskOptions? options = null) =>
        context.CallActivityAsync<SubmitTaskActivity.Result>(
            SubmitTaskActivity.Name,
            new SubmitTaskActivity.Request(job.JobId, job.RequestJson, job.OwnedMedia) { RunId = job.RunId },
            options);

    /// <summary>Polls the task once (step 4).</summary>
    public static Task<PollTaskActivity.Result> PollTaskAsync(
        this TaskOrchestrationContext context, string taskId, TaskOptions? options = null) =>
        context.CallActivityAsync<PollTaskActivity.Result>(PollTaskActivity.Name, taskId, options);

    /// <summary>Reads the recent model times of the jobs of kind <paramref name="key"/>, in seconds.</summary>
    public static Task<IReadOnlyList<double>> RecentModelTimesAsync(
        this TaskOrchestrationContext context, string key, TaskOptions? options = null) =>
        context.CallActivityAsync<IReadOnlyList<double>>(RecentModelTimesActivity.Name, key, options);

    /// <summary>Records the model time of a task of kind <paramref name="key"/> that succeeded.</summary>
    public static Task<bool> RecordModelTimeAsync(
        this TaskOrchestrationContext context, string key, double seconds, TaskOptions? options = null) =>
        context.CallActivityAsync<bool>(
            RecordModelTimeActivity.Name, new RecordModelTimeActivity.Request(key, seconds), options);

    /// <summary>Asks the service to cancel the task: true when it did.</summary>
    public static Task<bool> CancelTaskAsync(
        this TaskOrchestrationContext context, string taskId, TaskOptions? options = null) =>
        context.CallActivityAsync<bool>(CancelTaskActivity.Name, taskId, options);

    /// <summary>Copies the task's video into the job's output blob (step 5).</summary>
    public static Task<CopyOutputActivity.Result> CopyOutputAsync(
        this TaskOrchestrationContext context, VaceJobRequest job, string taskId, TaskOptions? options = null) =>
        context.CallActivityAsync<CopyOutputActivity.Result>(
            CopyOutputActivity.Name,
            new CopyOutputActivity.Request(job.JobId, taskId, job.OutputContainer, job.OutputBlob)
            {
                RunId = job.RunId,
            },
            options);

    /// <summary>Writes the manifest (step 6); <paramref name="reports"/> when it first reports the outcome.</summary>
    public static Task<string> WriteManifestAsync(
        this TaskOrchestrationContext context, VaceJobRequest job, VaceJobManifest manifest, bool reports,
        TaskOptions? options = null) =>
        context.CallActivityAsync<string>(
            WriteManifestActivity.Name,
            new WriteManifestActivity.Request(job.OutputContainer, job.ManifestBlob, manifest)
            {
                Reports = reports,
                RunId = job.RunId,
            },
            options);

    /// <summary>POSTs <paramref name="bodyJson"/> to the callback URL (step 7): the status code it answered.</summary>
    public static Task<int> NotifyCallbackAsync(
        this TaskOrchestrationContext context, string url, string jobId, string bodyJson,
        TaskOptions? options = null) =>
        context.CallActivityAsync<int>(
            NotifyCallbackActivity.Name, new NotifyCallbackActivity.Request(url, jobId, bodyJson), options);
}
