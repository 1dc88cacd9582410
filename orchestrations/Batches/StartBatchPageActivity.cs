using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Starts the jobs of one page of a batch through <see cref="JobIntake"/>, each an ordinary job with its job id as
/// instance id — so a page started again (a replayed or retried activity) starts nothing twice.
/// </summary>
[DurableTask(Name)]
public sealed class StartBatchPageActivity(BatchStore store, JobIntake intake) : TaskActivity<BatchPage, int>
{
    public const string Name = "StartBatchPage";

    public override Task<int> RunAsync(TaskActivityContext context, BatchPage input) => RunAsync(input, CancellationToken.None);

    /// <summary>Returns the lines of the page that have a job now, new or found.</summary>
    public async Task<int> RunAsync(BatchPage input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = 0;
        foreach (var (_, document) in await store.ReadPageAsync(input.BatchId, input.Page, cancellationToken))
        {
            var outcome = await intake.SubmitAsync(
                System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document), input.Source, cancellationToken);
            started += outcome.Status == IntakeStatus.Rejected ? 0 : 1;
        }

        return started;
    }
}
