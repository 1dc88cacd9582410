using System.Collections.Concurrent;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>Reads where each line of a batch stands, from its jobs' own instances (a batch's jobs are ordinary jobs).</summary>
public sealed class BatchJobs(
    DurableTaskClient client, BatchStore store, BlobServiceClient blobs, IOptions<WorkflowOptions> workflow)
{
    /// <summary>How many instances are read at once.</summary>
    private const int Parallelism = 16;

    /// <summary>
    /// One line and, for a started job, its outcome and result; a line rejected (no outcome) has its errors in
    /// <see cref="Errors"/>: intake's, or those of the rejection record filed when it was started.
    /// </summary>
    public sealed record LineState(BatchIndexEntry Entry, JobOutcome? Outcome, VaceJobResult? Result, bool Started)
    {
        public IReadOnlyList<JobIssue> Errors { get; init; } = Entry.Errors;
    }

    /// <summary>
    /// Every line of the batch in input order. Lines in pages before <paramref name="startedPages"/> are read from
    /// their instances; later ones have not started (canceled, when the batch is <paramref name="canceling"/>).
    /// </summary>
    public async Task<IReadOnlyList<LineState>> ReadAsync(
        string batchId, int startedPages, bool canceling, CancellationToken cancellationToken)
    {
        var index = await store.ReadIndexAsync(batchId, cancellationToken);
        var states = new ConcurrentDictionary<int, LineState>();
        await Parallel.ForEachAsync(
            index,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (entry, token) =>
            {
                if (entry.Page is not { } page)
                {
                    states[entry.Line] = new LineState(entry, null, null, Started: false);
                    return;
                }

                var instance = page < startedPages
                    ? await client.GetInstanceAsync(entry.JobId, getInputsAndOutputs: true, token)
                    : null;
                if (instance is null && page < startedPages && await RejectionRecords.ReadAsync(
                    blobs.GetBlobContainerClient(workflow.Value.OutputContainer), entry.JobId, token) is { } rejection)
                {
                    states[entry.Line] = new LineState(entry, null, null, Started: true) { Errors = rejection.Errors };
                    return;
                }

                if (instance is null)
                {
                    states[entry.Line] = new LineState(entry, canceling ? JobOutcome.Canceled : JobOutcome.Waiting,
                        null, Started: false);
                    return;
                }

                var progress = JobStatusView.ProgressOf(instance);
                var result = JobStatusView.ResultOf(instance, progress);
                states[entry.Line] = new LineState(entry, JobOutcomes.Of(instance, progress, result), result, Started: true);
            });
        return [.. index.Select(e => states[e.Line])];
    }

    /// <summary>The lines' counts by outcome.</summary>
    public static BatchCounts Count(IEnumerable<LineState> lines)
    {
        var all = lines.ToList();
        int Of(JobOutcome outcome) => all.Count(l => l.Outcome == outcome);
        return new BatchCounts(Of(JobOutcome.Waiting), Of(JobOutcome.Running), Of(JobOutcome.Succeeded),
            Of(JobOutcome.Failed), Of(JobOutcome.Canceled), Of(JobOutcome.TimedOut), all.Count(l => l.Outcome is null));
    }
}
