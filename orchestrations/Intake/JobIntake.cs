using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// The one intake path of every trigger and host: read the document, validate it for the configured region,
/// derive its id, and start its orchestration with the job id as instance id (an instance that exists, in any
/// state, is not started again) — or, for a document that can never succeed, write a rejection record
/// (<c>{output container}/{id}/result.json</c> with every error) so its sender can find out why. A rejection
/// record never replaces a job's record: when the name holds one, the rejection is reported to the caller only.
/// A host that stands in for DashScope with its simulator passes a <see cref="MediaSubstitution"/>, applied to every
/// document alike, whatever its source; the Functions app never does.
/// </summary>
public sealed class JobIntake(
    DurableTaskClient client,
    BlobServiceClient blobs,
    IOptions<WorkflowOptions> workflow,
    IOptions<DashScopeOptions> dashScope,
    IOptions<InboxOptions> inbox,
    TimeProvider time,
    VaceTelemetry telemetry,
    MediaSubstitution? substitution = null)
{
    /// <summary>The validation options for a source: the endpoint's region; relative media names only from blobs.</summary>
    public JobValidationOptions ValidationOptions(IntakeSource source) => ValidationOptions(source, workflow.Value, dashScope.Value, inbox.Value);

    /// <summary>
    /// The validation options of an intake with these settings, for a client that checks a document before it hands
    /// it to a host's queue or inbox (<c>vace enqueue</c>, <c>vace upload</c>) as that host's intake will.
    /// </summary>
    public static JobValidationOptions ValidationOptions(IntakeSource source, WorkflowOptions workflow, DashScopeOptions dashScope, InboxOptions inbox)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(dashScope);
        ArgumentNullException.ThrowIfNull(inbox);
        return new()
        {
            Region = dashScope.EffectiveRegion,
            Model = string.IsNullOrEmpty(dashScope.Model) ? null : dashScope.Model,
            AllowRelativeMediaNames = source == IntakeSource.Blob,
            OutputContainers = OutputConfinement.WritableContainers(
                workflow.OutputContainer, workflow.AllowedOutputContainerList, workflow.StateContainer, inbox.Container),
            AllowHttpCallbackUrls = workflow.AllowLoopbackUrls,
        };
    }

    /// <summary>
    /// Takes a document in. <paramref name="resolveMedia"/>, for the blob pipeline, turns relative media names
    /// into URLs the service can fetch, or reports the ones it cannot (as errors). A rejected document gets a
    /// rejection record, except from HTTP, whose caller hears every error in the answer. <paramref name="idAssignedByHost"/>
    /// says the host put the document's id there itself (<see cref="JobValidationOptions.IdAssignedByHost"/>).
    /// </summary>
    public async Task<IntakeOutcome> SubmitAsync(
        ReadOnlyMemory<byte> document,
        IntakeSource source,
        CancellationToken cancellationToken,
        Func<VaceJob, CancellationToken, Task<(VaceJob Job, IReadOnlyList<JobIssue> Problems)>>? resolveMedia = null,
        bool idAssignedByHost = false)
    {
        var read = JobDocumentReader.Read(document.Span);

        // The document's traceparent continues its sender's trace; else the current one does (an HTTP request's).
        using var span = telemetry.StartIntake(source, JobTraceContext.Of(read.Succeeded ? read.Document : null) ?? Activity.Current?.Context ?? default);
        var outcome = await IntakeAsync(span, read, document, source, resolveMedia, idAssignedByHost, cancellationToken);
        span?.SetTag(VaceTelemetry.JobIdTag, outcome.JobId);
        span?.SetTag(VaceTelemetry.IntakeStatusTag, outcome.Status.ToString());
        return outcome;
    }

    private async Task<IntakeOutcome> IntakeAsync(
        Activity? span,
        JobReadResult read,
        ReadOnlyMemory<byte> document,
        IntakeSource source,
        Func<VaceJob, CancellationToken, Task<(VaceJob Job, IReadOnlyList<JobIssue> Problems)>>? resolveMedia,
        bool idAssignedByHost,
        CancellationToken cancellationToken)
    {
        var check = CheckRead(read, document.Span, source, idAssignedByHost);
        if (check.Job is not { } job)
        {
            return await RejectAsync(check.JobId, check.Issues, source, cancellationToken);
        }

        if (resolveMedia is not null)
        {
            var (resolved, problems) = await resolveMedia(job, cancellationToken);
            if (problems.Count > 0)
            {
                return await RejectAsync(job.Id, [.. problems, .. job.Warnings], source, cancellationToken);
            }

            job = resolved;
        }

        if (substitution is not null)
        {
            job = substitution.Apply(job);
        }

        span?.SetTag(VaceTelemetry.FunctionTag, job.Function);
        var started = await StartAsync(VaceJobRequest.Create(job, workflow.Value), cancellationToken);
        if (started)
        {
            telemetry.JobStarted(job.Function, source);
        }

        return new IntakeOutcome(started ? IntakeStatus.Started : IntakeStatus.Existing, job.Id, job.Warnings);
    }

    /// <summary>
    /// Reads and validates a document as <see cref="SubmitAsync"/> does, starting and recording nothing: its job when it
    /// can run, else every issue and the id its rejection is filed under.
    /// </summary>
    public JobCheck Check(ReadOnlySpan<byte> document, IntakeSource source) => CheckRead(JobDocumentReader.Read(document), document, source, idAssignedByHost: false);

    private JobCheck CheckRead(JobReadResult read, ReadOnlySpan<byte> document, IntakeSource source, bool idAssignedByHost)
    {
        if (!read.Succeeded)
        {
            return new JobCheck(HashedId(document), null, [read.Error]);
        }

        var validation = JobValidator.Validate(read.Document, ValidationOptions(source) with { IdAssignedByHost = idAssignedByHost });
        return validation.Job is { } job
            ? new JobCheck(job.Id, job, job.Warnings)
            : new JobCheck(RejectedId(read.Document, document, validation), null, validation.Issues);
    }

    /// <summary>
    /// Takes a blob-pipeline job file in (both hosts' blob triggers): its first bytes, one more than a document may
    /// have (enough to refuse an oversized file without reading it all), as of <paramref name="ifMatch"/> when given,
    /// its relative media resolved to read URLs of the blobs beside it in <paramref name="folder"/>.
    /// </summary>
    public async Task<IntakeOutcome> SubmitJobFileAsync(BlobClient jobFile, string folder, ETag? ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobFile);
        var content = (await jobFile.DownloadContentAsync(
            new BlobDownloadOptions
            {
                Range = new HttpRange(0, JobDocumentReader.MaxDocumentBytes + 1),
                Conditions = ifMatch is { } etag ? new BlobRequestConditions { IfMatch = etag } : null,
            },
            cancellationToken)).Value.Content;
        var resolver = new BlobMediaResolver(jobFile.GetParentBlobContainerClient(), folder);
        return await SubmitAsync(content.ToMemory(), IntakeSource.Blob, cancellationToken, resolver.ResolveAsync);
    }

    /// <summary>Starts the job's orchestration; false when an instance with its id exists already.</summary>
    private async Task<bool> StartAsync(VaceJobRequest request, CancellationToken cancellationToken)
    {
        // Without dedupe statuses the engine would silently replace a Pending or Running instance's input.
        var options = new StartOrchestrationOptions(request.JobId).WithDedupeStatuses([.. StartOrchestrationOptionsExtensions.ValidDedupeStatuses]);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(VaceJobOrchestrator.Name, request, options, cancellationToken);
            return true;
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return false;
        }
    }

    /// <summary>Files a rejection: a record the sender can find, except for HTTP, whose caller hears the errors directly.</summary>
    private async Task<IntakeOutcome> RejectAsync(string jobId, IReadOnlyList<JobIssue> issues, IntakeSource source, CancellationToken cancellationToken)
    {
        if (source != IntakeSource.Http)
        {
            var container = blobs.GetBlobContainerClient(workflow.Value.OutputContainer);
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            var record = new RejectionRecord(jobId, source.ToString(), time.GetUtcNow().UtcDateTime, issues.Where(i => i.Severity == JobIssueSeverity.Error).ToArray(),
                issues.Where(i => i.Severity == JobIssueSeverity.Warning).ToArray());
            var blob = container.GetBlobClient($"{jobId}/{StorageNames.ManifestName}");

            // A rejection replaces only an earlier rejection under the same id, never a job's record (nor anyone else's).
            await OwnedBlobs.WriteJsonAsync(
                blob,
                BinaryData.FromString(WorkflowJson.Serialize(record)),
                jobId,
                OwnedBlobs.RejectionKind,
                runId: null,
                other => OwnedBlobs.BelongsTo(other.Metadata, jobId, OwnedBlobs.RejectionKind),
                cancellationToken);
        }

        return new IntakeOutcome(IntakeStatus.Rejected, jobId, issues);
    }

    /// <summary>
    /// The id a rejection is filed under: the document's own when it is valid (never one a client chose in the host's
    /// derived ids' prefixes, so no rejection takes a derived job's name), else one derived from it.
    /// </summary>
    private static string RejectedId(JsonObject document, ReadOnlySpan<byte> bytes, JobValidationResult validation)
    {
        if (document[JobFields.Id] is { } id && id.GetValueKind() == JsonValueKind.String && JobId.IsValid(id.GetValue<string>())
            && validation.Issues.All(i => i.Code != JobIssueCodes.InvalidId))
        {
            return id.GetValue<string>();
        }

        return validation.Issues.All(i => i.Code != JobIssueCodes.InvalidId) ? JobId.Derive(document) : HashedId(bytes);
    }

    /// <summary>An id for a document that has no usable one and cannot be read: a hash of its bytes.</summary>
    private static string HashedId(ReadOnlySpan<byte> bytes) => "rejected-" + Convert.ToHexStringLower(SHA256.HashData(bytes), 0, 16);

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
