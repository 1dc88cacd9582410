using Azure.Storage.Blobs;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Starts the jobs of one page of a batch through <see cref="JobIntake"/>, each an ordinary job with its job id as
/// instance id — so a page started again (a replayed or retried activity) starts nothing twice. An inbox batch's media
/// named by bare names resolve beside its file, as a job file's do; a line whose blob is missing is rejected there,
/// with a rejection record, as a job file would be.
/// </summary>
[DurableTask(Name)]
public sealed class StartBatchPageActivity(
    BatchStore store, JobIntake intake, BlobServiceClient blobs, IOptions<InboxOptions> inbox) : TaskActivity<BatchPage, int>
{
    public const string Name = "StartBatchPage";

    public override Task<int> RunAsync(TaskActivityContext context, BatchPage input) => RunAsync(input, CancellationToken.None);

    /// <summary>Returns the lines of the page that have a job now, new or found (not those rejected here).</summary>
    public async Task<int> RunAsync(BatchPage input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = 0;
        var resolver = input.InboxFolder is { } folder
            ? new BlobMediaResolver(blobs.GetBlobContainerClient(inbox.Value.Container), folder)
            : null;
        foreach (var (_, document) in await store.ReadPageAsync(input.BatchId, input.Page, cancellationToken))
        {
            var outcome = await intake.SubmitAsync(
                System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document), input.Source, cancellationToken,
                resolver is null ? null : resolver.ResolveAsync);
            started += outcome.Status == IntakeStatus.Rejected ? 0 : 1;
        }

        return started;
    }
}
