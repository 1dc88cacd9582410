using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Writes <c>results.jsonl</c> (one line per input line, in input order) and <c>summary.json</c> of an ended batch;
/// written again, they are the same.
/// </summary>
[DurableTask(Name)]
public sealed class WriteBatchResultsActivity(BatchJobs jobs, BatchStore store) : TaskActivity<WriteBatchResultsActivity.Request, WriteBatchResultsActivity.Result>
{
    public const string Name = "WriteBatchResults";

    /// <summary>The batch, the pages it started, and its status as it ends.</summary>
    public sealed record Request(string BatchId, int StartedPages, bool Canceling, BatchStatus Status);

    /// <summary>The batch's counts as the files report them, and the summary's JSON (the body of the batch's callback).</summary>
    public sealed record Result(BatchCounts Counts, string SummaryJson);

    public override Task<Result> RunAsync(TaskActivityContext context, Request input) =>
        RunAsync(input, CancellationToken.None);

    public async Task<Result> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lines = await jobs.ReadAsync(input.BatchId, input.StartedPages, input.Canceling, cancellationToken);
        var counts = BatchJobs.Count(lines);
        var results = lines.Select(l => l.Outcome is not { } outcome
            ? new BatchResultLine(l.Entry.Line, l.Entry.JobId, "Rejected", null, null, null, VaceJobErrorCodes.InvalidInput,
                string.Join(" ", l.Errors.Select(e => $"{e.Path}: {e.Message}")))
            : new BatchResultLine(l.Entry.Line, l.Entry.JobId, outcome.ToString(),
                l.Result is { Succeeded: true } ? l.Result.BlobUrl : null, l.Result?.Sha256,
                l.Result?.Usage?.VideoDuration ?? l.Result?.DurationSeconds, l.Result?.ErrorCode,
                l.Result?.ErrorMessage ?? (l.Started ? null : "The batch was canceled before this job started.")));
        var billed = lines.Sum(l => l.Result?.Usage?.VideoDuration ?? 0);
        var envelope = await store.ReadEnvelopeAsync(input.BatchId, cancellationToken);
        var summary = await store.WriteResultsAsync(
            input.BatchId,
            results,
            new { batch_id = input.BatchId, state = input.Status.State, counts, billed_seconds = billed, lines = lines.Count,
                created_at = input.Status.CreatedAt, ended_at = input.Status.EndedAt,
                running_at_cancel = input.Status.RunningAtCancel, canceled = input.Canceling, envelope.Metadata,
                results_blob = $"{BatchStore.Folder}/{input.BatchId}/{BatchStore.ResultsName}" },
            cancellationToken);
        return new Result(counts, summary);
    }
}
