using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// Writes a job's <c>result.json</c>; returns its URL. The manifest is created with If-None-Match: * and replaces only
/// a record of the same job (<see cref="OwnedBlobs"/>): its run's own earlier manifest (a retry, or the rewrite after a
/// failed callback) or a rejection record filed under its id before a corrected document ran — never the manifest of
/// an earlier run under the same id. A name that holds
/// another job's blob throws <see cref="OutputConflictException"/>, which is not retried.
/// </summary>
[DurableTask(Name)]
public sealed class WriteManifestActivity(BlobServiceClient blobs, VaceTelemetry telemetry, TimeProvider time) : TaskActivity<WriteManifestActivity.Request, string>
{
    public const string Name = "WriteManifest";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<string> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<string> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = input.Manifest.Result;
        using var span = telemetry.StartStep("vace.manifest", input.Manifest.JobId, result.TaskId);
        var function = input.Manifest.Request?[JobFields.Input]?[JobFields.Function]?.GetValue<string>() ?? "unknown";
        span?.SetTag(VaceTelemetry.FunctionTag, function);
        span?.SetTag(VaceTelemetry.OutcomeTag, JobOutcomes.Of(result).ToString());
        span?.SetTag(VaceTelemetry.ErrorTypeTag, result.ErrorCode);
        var container = blobs.GetBlobContainerClient(input.Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var blob = container.GetBlobClient(input.Blob);
        var jobId = input.Manifest.JobId;
        var kept = await OwnedBlobs.WriteJsonAsync(
            blob,
            BinaryData.FromObjectAsJson(input.Manifest, JsonOptions),
            jobId,
            OwnedBlobs.ManifestKind,
            input.RunId,
            other => OwnedBlobs.BelongsToRun(other.Metadata, jobId, input.RunId, OwnedBlobs.ManifestKind)
                || OwnedBlobs.BelongsTo(other.Metadata, jobId, OwnedBlobs.RejectionKind),
            cancellationToken);
        if (kept is not null)
        {
            throw new OutputConflictException(OutputConflictException.Describe(input.Container, input.Blob, "record"));
        }

        if (input.Reports)
        {
            Measure(input.Manifest, function);
        }

        return blob.Uri.ToString();
    }

    /// <summary>The job's end, from its phases: from its first phase to now, its wait for a slot, its task's run.</summary>
    private void Measure(VaceJobManifest manifest, string function)
    {
        TimeSpan? Took(VaceJobPhase phase) => manifest.Phases.TryGetValue(phase.ToString(), out var timing) ? timing.Ended - timing.Started : null;
        var now = time.GetUtcNow().UtcDateTime;
        var started = manifest.Phases.Count > 0 ? manifest.Phases.Values.Min(p => p.Started) : now;
        telemetry.JobFinished(
            function,
            JobOutcomes.Of(manifest.Result).ToString(),
            manifest.Result.ErrorCode,
            now - started,
            Took(VaceJobPhase.WaitingForSlot),
            Took(VaceJobPhase.Generating));
    }

    /// <param name="Container">The output container.</param>
    /// <param name="Blob">The manifest's blob.</param>
    /// <param name="Manifest">What it holds.</param>
    public sealed record Request(string Container, string Blob, VaceJobManifest Manifest)
    {
        /// <summary>This write first reports the job's outcome: the job's end is measured once it is written.</summary>
        public bool Reports { get; init; }

        /// <summary>The job's run (<see cref="VaceJobRequest.RunId"/>), which owns the manifest; null for jobs from before runs.</summary>
        public string? RunId { get; init; }
    }
}
