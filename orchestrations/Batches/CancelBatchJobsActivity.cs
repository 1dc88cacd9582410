using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Cancels every started job of a batch that is not yet running at DashScope (<see cref="JobCanceller"/>, as
/// <c>POST /api/jobs/{id}/cancel</c> does); returns how many tasks were running already (billed, followed to their end).
/// </summary>
[DurableTask(Name)]
public sealed class CancelBatchJobsActivity(BatchJobs jobs, JobCanceller canceller) : TaskActivity<BatchPage, int>
{
    public const string Name = "CancelBatchJobs";

    public override Task<int> RunAsync(TaskActivityContext context, BatchPage input) => RunAsync(input, CancellationToken.None);

    public async Task<int> RunAsync(BatchPage input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lines = await jobs.ReadAsync(input.BatchId, input.Page, canceling: true, cancellationToken);
        foreach (var line in lines.Where(l => l.Started && l.Outcome == JobOutcome.Waiting))
        {
            await canceller.CancelAsync(line.Entry.JobId, $"batch {input.BatchId} canceled", cancellationToken);
        }

        return lines.Count(l => l.Outcome == JobOutcome.Running);
    }
}
