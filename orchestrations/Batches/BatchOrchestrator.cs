using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Runs one batch: starts its jobs a page at a time (<see cref="StartBatchPageActivity"/>, ordinary jobs with their
/// job ids as instance ids), then follows them on a durable timer (<see cref="ReadBatchProgressActivity"/>) until
/// every line has an outcome, and writes the results (<see cref="WriteBatchResultsActivity"/>). A
/// <see cref="CancelEvent"/> stops the starts and cancels every job not yet running at DashScope.
/// </summary>
/// <remarks>
/// Each execution starts at most <see cref="BatchRequest.PagesPerExecution"/> pages, or follows once, then continues
/// as new with its progress in its input: the history holds a few dozen events whatever the batch's size (see
/// docs/batches.md for the measurement). Deterministic: time from the context, settings from the input.
/// </remarks>
[DurableTask(Name)]
public sealed class BatchOrchestrator : TaskOrchestrator<BatchRequest, BatchStatus>
{
    public const string Name = "VaceBatch";

    /// <summary>The external event that cancels the batch; its data is the reason (optional).</summary>
    public const string CancelEvent = "Cancel";

    /// <summary>As a job's callback: a receiver that refused the request refuses it again, so that is not retried.</summary>
    private static readonly TaskOptions CallbackRetry = TaskOptions.FromRetryPolicy(
        new RetryPolicy(5, TimeSpan.FromSeconds(2), 2.0, TimeSpan.FromMinutes(1))
        {
            HandleFailure = failure => failure.ErrorType != typeof(CallbackRefusedException).FullName,
        });

    private static readonly TaskOptions Retry =
        TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), 2.0, TimeSpan.FromMinutes(1)));

    public override async Task<BatchStatus> RunAsync(TaskOrchestrationContext context, BatchRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var batch = input;
        var cancel = context.WaitForExternalEvent<string?>(CancelEvent);
        if (!batch.Canceling && batch.NextPage < batch.PageCount)
        {
            context.SetCustomStatus(Status(batch, BatchState.Running, null));
            var last = Math.Min(batch.PageCount, batch.NextPage + batch.PagesPerExecution);
            while (batch.NextPage < last && !cancel.IsCompleted)
            {
                var started = await context.CallActivityAsync<int>(
                    StartBatchPageActivity.Name, new BatchPage(batch.BatchId, batch.NextPage, batch.Source, InboxFolder: batch.InboxFolder), Retry);
                batch = batch with { NextPage = batch.NextPage + 1, Started = batch.Started + started };
            }

            if (cancel.IsCompleted)
            {
                batch = await CancelAsync(context, batch);
            }
            else if (batch.NextPage < batch.PageCount)
            {
                context.ContinueAsNew(batch, preserveUnprocessedEvents: true);
                return null!;
            }
        }

        var counts = await context.CallActivityAsync<BatchCounts>(
            ReadBatchProgressActivity.Name, new BatchPage(batch.BatchId, batch.NextPage, Canceling: batch.Canceling), Retry);
        if (counts.Ended)
        {
            var ended = Status(batch, BatchState.Ended, counts) with { EndedAt = context.CurrentUtcDateTime };
            var written = await context.CallActivityAsync<WriteBatchResultsActivity.Result>(
                WriteBatchResultsActivity.Name,
                new WriteBatchResultsActivity.Request(batch.BatchId, batch.NextPage, batch.Canceling, ended),
                Retry);
            ended = ended with { Counts = written.Counts };
            if (batch.CallbackUrl is { } url)
            {
                ended = ended with { CallbackStatus = await NotifyAsync(context, url, batch.BatchId, written.SummaryJson) };
            }

            context.SetCustomStatus(ended);
            return ended;
        }

        context.SetCustomStatus(Status(batch, batch.Canceling ? BatchState.Canceling : BatchState.Running, counts));
        using (var timerCancel = new CancellationTokenSource())
        {
            var timer = context.CreateTimer(context.CurrentUtcDateTime + batch.FollowInterval, timerCancel.Token);
            if (await Task.WhenAny(timer, cancel) == cancel)
            {
                timerCancel.Cancel();
                batch = batch.Canceling ? batch : await CancelAsync(context, batch);
            }
        }

        context.ContinueAsNew(batch, preserveUnprocessedEvents: true);
        return null!;
    }

    /// <summary>
    /// Posts the summary to the batch's callback URL, signed as a job's callback is (<see cref="NotifyCallbackActivity"/>);
    /// the receiver's HTTP status, or 0 when it could not be told — the batch has ended either way.
    /// </summary>
    private static async Task<int> NotifyAsync(TaskOrchestrationContext context, string url, string batchId, string summary)
    {
        try
        {
            return await context.CallActivityAsync<int>(
                NotifyCallbackActivity.Name, new NotifyCallbackActivity.Request(url, batchId, summary), CallbackRetry);
        }
        catch (TaskFailedException)
        {
            return 0;
        }
    }

    /// <summary>Cancels the jobs not yet running at DashScope; the pages not yet started never start.</summary>
    private static async Task<BatchRequest> CancelAsync(TaskOrchestrationContext context, BatchRequest batch)
    {
        var running = await context.CallActivityAsync<int>(
            CancelBatchJobsActivity.Name, new BatchPage(batch.BatchId, batch.NextPage, Canceling: true), Retry);
        batch = batch with { Canceling = true, RunningAtCancel = running };
        context.SetCustomStatus(Status(batch, BatchState.Canceling, null));
        return batch;
    }

    private static BatchStatus Status(BatchRequest batch, string state, BatchCounts? counts) => new(
        state,
        counts ?? new BatchCounts(Waiting: batch.Lines - batch.Rejected, Rejected: batch.Rejected),
        batch.Lines,
        batch.Started,
        batch.CreatedAt,
        RunningAtCancel: batch.RunningAtCancel);
}
