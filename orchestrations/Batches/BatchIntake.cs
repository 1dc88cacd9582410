using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Takes a batch file in (every host and way in): reads it with each line checked by <see cref="JobIntake.Check"/>,
/// stores its pages (<see cref="BatchStore"/>) and starts its <see cref="BatchOrchestrator"/> under
/// <see cref="BatchRequest.InstanceId"/> — a batch id seen before starts nothing new.
/// </summary>
public sealed class BatchIntake(
    DurableTaskClient client, JobIntake intake, BatchStore store, IOptions<BatchOptions> options, TimeProvider time)
{
    public BatchOptions Options => options.Value;

    public async Task<BatchSubmission> SubmitAsync(
        ReadOnlyMemory<byte> file, IntakeSource source, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var document = BatchDocument.Read(file, settings, line => intake.Check(line, source));
        if (document.Refused)
        {
            return new BatchSubmission(BatchSubmissionStatus.Refused, document);
        }

        var instanceId = BatchRequest.InstanceId(document.BatchId);

        // Its pages are written before it starts: a batch that exists keeps the pages it was started with.
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return new BatchSubmission(BatchSubmissionStatus.Existing, document);
        }

        var pages = await store.WriteAsync(document, settings.PageSize, cancellationToken);
        var request = new BatchRequest
        {
            BatchId = document.BatchId,
            Source = source,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            Lines = document.Lines.Count,
            Rejected = document.RejectedCount,
            PageCount = pages,
            PagesPerExecution = settings.PagesPerExecution,
            FollowInterval = settings.FollowInterval,
            CallbackUrl = document.Envelope.CallbackUrl,
        };
        var start = new StartOrchestrationOptions(instanceId)
            .WithDedupeStatuses([.. StartOrchestrationOptionsExtensions.ValidDedupeStatuses]);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(BatchOrchestrator.Name, request, start, cancellationToken);
            return new BatchSubmission(BatchSubmissionStatus.Started, document);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return new BatchSubmission(BatchSubmissionStatus.Existing, document);
        }
    }
}
