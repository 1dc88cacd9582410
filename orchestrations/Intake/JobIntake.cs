using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// The one intake path of every trigger and host: read the document, validate it for the configured region,
/// derive its id, and start its orchestration — or, for a document that can never succeed, write a rejection
/// record (<c>{output container}/{id}/result.json</c> with every error) so its sender can find out why.
/// </summary>
public sealed class JobIntake(IJobStarter starter, BlobServiceClient blobs, IOptions<WorkflowOptions> workflow, IOptions<DashScopeOptions> dashScope, TimeProvider time)
{
    /// <summary>The validation options for a source: the endpoint's region; relative media names only from blobs.</summary>
    public JobValidationOptions ValidationOptions(IntakeSource source) => new()
    {
        Region = dashScope.Value.EffectiveRegion,
        Model = string.IsNullOrEmpty(dashScope.Value.Model) ? null : dashScope.Value.Model,
        AllowRelativeMediaNames = source == IntakeSource.Blob,
    };

    /// <summary>
    /// Takes a document in. <paramref name="resolveMedia"/>, for the blob pipeline, turns relative media names
    /// into URLs the service can fetch, or reports the ones it cannot (as errors). A rejected document gets a
    /// rejection record, except from HTTP, whose caller hears every error in the answer.
    /// </summary>
    public async Task<IntakeOutcome> SubmitAsync(
        ReadOnlyMemory<byte> document,
        IntakeSource source,
        CancellationToken cancellationToken,
        Func<VaceJob, CancellationToken, Task<(VaceJob Job, IReadOnlyList<JobIssue> Problems)>>? resolveMedia = null)
    {
        var recordRejection = source != IntakeSource.Http;
        var validation = JobValidator.Validate(document.Span, ValidationOptions(source));
        if (validation.Job is not { } job)
        {
            var id = RejectedId(document.Span, validation);
            return recordRejection ? await RejectAsync(id, validation.Issues, source, cancellationToken) : new IntakeOutcome(IntakeStatus.Rejected, id, validation.Issues);
        }

        if (resolveMedia is not null)
        {
            var (resolved, problems) = await resolveMedia(job, cancellationToken);
            if (problems.Count > 0)
            {
                return recordRejection
                    ? await RejectAsync(job.Id, [.. problems, .. job.Warnings], source, cancellationToken)
                    : new IntakeOutcome(IntakeStatus.Rejected, job.Id, [.. problems, .. job.Warnings]);
            }

            job = resolved;
        }

        var started = await starter.StartAsync(VaceJobRequest.Create(job, workflow.Value), cancellationToken);
        return new IntakeOutcome(started.Created ? IntakeStatus.Started : IntakeStatus.Existing, job.Id, job.Warnings);
    }

    private async Task<IntakeOutcome> RejectAsync(string jobId, IReadOnlyList<JobIssue> issues, IntakeSource source, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(workflow.Value.OutputContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var record = new RejectionRecord(jobId, source.ToString(), time.GetUtcNow().UtcDateTime, issues.Where(i => i.Severity == JobIssueSeverity.Error).ToArray(),
            issues.Where(i => i.Severity == JobIssueSeverity.Warning).ToArray());
        await container.GetBlobClient($"{jobId}/result.json").UploadAsync(
            BinaryData.FromString(WorkflowJson.Serialize(record)),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);
        return new IntakeOutcome(IntakeStatus.Rejected, jobId, issues);
    }

    /// <summary>The id a rejection is filed under: the document's own when it is valid, else one derived from its bytes.</summary>
    private static string RejectedId(ReadOnlySpan<byte> document, JobValidationResult validation)
    {
        var read = JobDocumentReader.Read(document);
        if (read.Succeeded && read.Document[JobFields.Id] is { } id && id.GetValueKind() == System.Text.Json.JsonValueKind.String
            && JobId.IsValid(id.GetValue<string>()))
        {
            return id.GetValue<string>();
        }

        return read.Succeeded && validation.Issues.All(i => i.Code != JobIssueCodes.InvalidId)
            ? JobId.Derive(read.Document)
            : "rejected-" + Convert.ToHexStringLower(SHA256.HashData(document), 0, 16);
    }

    /// <summary>The rejection record's content.</summary>
    public sealed record RejectionRecord(
        string JobId,
        string Source,
        DateTime ReceivedAt,
        IReadOnlyList<JobIssue> Errors,
        IReadOnlyList<JobIssue> Warnings,
        bool Succeeded = false,
        string ErrorCode = VaceJobErrorCodes.InvalidInput);
}
