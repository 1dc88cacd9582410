using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>Counts a batch's lines by outcome, reading its jobs' instances.</summary>
[DurableTask(Name)]
public sealed class ReadBatchProgressActivity(BatchJobs jobs) : TaskActivity<BatchPage, BatchCounts>
{
    public const string Name = "ReadBatchProgress";

    public override Task<BatchCounts> RunAsync(TaskActivityContext context, BatchPage input) =>
        RunAsync(input, CancellationToken.None);

    public async Task<BatchCounts> RunAsync(BatchPage input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return BatchJobs.Count(await jobs.ReadAsync(input.BatchId, input.Page, input.Canceling, cancellationToken));
    }
}
