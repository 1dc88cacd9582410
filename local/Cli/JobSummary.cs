using System.Globalization;
using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Cli;

/// <summary>A job's status (<see cref="JobStatusView"/>) in a person's words, as <c>vace status</c> and <c>vace submit</c> print it.</summary>
internal static class JobSummary
{
    /// <summary>True once the job has ended without success: failed, canceled, timed out, rejected at intake.</summary>
    public static bool Failed(JobStatusView view) =>
        view.Result is { Succeeded: false } || view.RuntimeStatus is nameof(OrchestrationRuntimeStatus.Failed) or nameof(OrchestrationRuntimeStatus.Terminated);

    /// <summary>One line on the state, then the details: the video, the errors, a billed task that runs on.</summary>
    public static IEnumerable<string> Lines(JobStatusView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.RuntimeStatus == JobStatusView.RejectedStatus)
        {
            yield return $"Job {view.Id}: rejected at intake ({view.CreatedAt:u}) — {view.Errors?.Count ?? 0} error(s); it never ran.";
            foreach (var issue in (view.Errors ?? []).Concat(view.Warnings ?? []))
            {
                yield return IssueLine(issue);
            }

            yield break;
        }

        switch (view.Result)
        {
            case { Succeeded: true } result:
                yield return $"Job {view.Id}: succeeded — DashScope task {result.TaskId}, {result.DurationSeconds?.ToString("F1", CultureInfo.InvariantCulture)} s of video.";
                yield return $"  video     {result.BlobUrl}";
                yield return $"  size      {result.Size?.ToString("N0", CultureInfo.InvariantCulture)} bytes, sha256 {result.Sha256}";
                yield return $"  manifest  {result.Container}/{result.ManifestBlob}";
                break;
            case { } result:
                yield return $"Job {view.Id}: {result.ErrorCode} — {result.ErrorMessage}";
                if (view.Progress is { Phase: VaceJobPhase.AwaitingBilledTask } progress)
                {
                    yield return $"  task      {progress.TaskId} is still {progress.TaskStatus} and billed; its slot is held until it ends.";
                }

                if (result.ManifestBlob is not null)
                {
                    yield return $"  manifest  {result.Container}/{result.ManifestBlob}";
                }

                break;
            default:
                yield return view.Error is { } error
                    ? $"Job {view.Id}: {view.RuntimeStatus} — {error}"
                    : $"Job {view.Id}: {(view.Progress is { } running ? ProgressDisplay.Describe(running) : view.RuntimeStatus)}";
                break;
        }
    }

    /// <summary>A document's problem as <c>vace validate</c> prints it: severity, path, message, code.</summary>
    public static string IssueLine(JobIssue issue)
    {
        ArgumentNullException.ThrowIfNull(issue);
        return IssueLine(issue.Severity == JobIssueSeverity.Error ? "error" : "warning", issue.Path, issue.Message, issue.Code);
    }

    public static string IssueLine(string label, string path, string message, string code) => $"  {label,-7} {path}: {message} [{code}]";
}
