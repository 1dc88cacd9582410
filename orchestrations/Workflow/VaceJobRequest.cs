using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// The input of <see cref="VaceJobOrchestrator"/>: a validated job with everything that steers its run fixed at
/// start (poll interval, deadline, probing, output location), so every replay sees the same values.
/// </summary>
public sealed record VaceJobRequest
{
    public required string JobId { get; init; }

    /// <summary>
    /// This start of the job, new each time intake starts it (and kept when it continues as new): what its submission
    /// record and blobs are owned by, so a job started again under an id used before, once the earlier instance was
    /// purged, adopts none of the earlier run's records. Null for jobs started before runs were recorded, which own
    /// by job id alone.
    /// </summary>
    public string? RunId { get; init; }

    /// <summary>The DashScope request body (model, input, parameters, unknown fields), as JSON.</summary>
    public required string RequestJson { get; init; }

    public required string Function { get; init; }

    public required string Model { get; init; }

    public required string OutputContainer { get; init; }

    public required string OutputBlob { get; init; }

    /// <summary>The manifest's blob, beside the video (<see cref="StorageNames.ManifestBlobFor"/>): <c>{jobId}/result.json</c> by default.</summary>
    public required string ManifestBlob { get; init; }

    public string? CallbackUrl { get; init; }

    /// <summary>The media to probe before submitting; empty when probing is off.</summary>
    public IReadOnlyList<MediaReference> Media { get; init; } = [];

    public IReadOnlyList<JobIssue> Warnings { get; init; } = [];

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan InitialPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The interval between polls through the usual range of recent model times (<see cref="JobSchedule"/>).</summary>
    public TimeSpan EndPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The kind of job whose model times schedule its polls: model, function and output size.</summary>
    public string ModelTimeKey { get; init; } = "";

    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMinutes(60);

    public TimeSpan SlotRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The first wait before a step that failed through passing trouble (storage, network) is tried again; it doubles
    /// up to 1 min, over 5 attempts in all.
    /// </summary>
    public TimeSpan StepRetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a failing output copy is retried: the result's URL lives 24 hours after the task ends, so the default
    /// leaves an hour's margin. Then the job ends with OutputExpired.
    /// </summary>
    public TimeSpan OutputCopyWindow { get; init; } = TimeSpan.FromHours(23);

    /// <summary>
    /// How long past its deadline a job follows a task it could not cancel (RUNNING at the deadline or at a cancel):
    /// it holds the task slot until a poll sees the task end, or this long, then gives the slot back regardless.
    /// </summary>
    public TimeSpan BilledTaskCeiling { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// The longest wait between submissions the service refused having created nothing (throttling, 5xx, no
    /// connection); once the first quick attempts are spent, the job tries again this often until its deadline.
    /// </summary>
    public TimeSpan SubmitMaxRetry { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Polls in one execution of the orchestration; then it continues as new (<see cref="Resume"/>), so a job's
    /// history stays short however long its task runs (100 polls: about 25 min at the default interval).
    /// </summary>
    public int PollsPerExecution { get; init; } = 100;

    /// <summary>The job's own media as plain blob URLs (<see cref="VaceJob.OwnedMedia"/>), signed when submitted.</summary>
    public IReadOnlyList<string> OwnedMedia { get; init; } = [];

    /// <summary>Set only when the job continued as new: where it picks up.</summary>
    public VaceJobResume? Resume { get; init; }

    /// <summary>
    /// Builds the orchestration input of a validated job. Input media are probed when <paramref name="probeInputs"/>
    /// says so, else when the job's <c>probe_inputs</c> does, else by the configured default.
    /// </summary>
    public static VaceJobRequest Create(VaceJob job, WorkflowOptions options, bool? probeInputs = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(options);
        var blob = job.Document.Output?.Blob ?? $"{job.Id}/output.mp4";
        return new VaceJobRequest
        {
            JobId = job.Id,

            // Outside any orchestration (intake): a new run each start, fixed in the input for every replay.
            RunId = Guid.NewGuid().ToString("N"),
            RequestJson = job.ToDashScopeRequest().ToJsonString(),
            Function = job.Function,
            Model = job.Model,
            OutputContainer = job.Document.Output?.Container ?? options.OutputContainer,
            OutputBlob = blob,
            ManifestBlob = StorageNames.ManifestBlobFor(blob),
            CallbackUrl = job.Document.CallbackUrl,
            Media = probeInputs ?? job.Document.ProbeInputs ?? options.ProbeInputs ? MediaOf(job.Document.Input, job.OwnedMedia) : [],
            OwnedMedia = job.OwnedMedia,
            Warnings = job.Warnings,
            PollInterval = options.PollInterval,
            InitialPollInterval = options.InitialPollInterval,
            EndPollInterval = options.EndPollInterval,
            ModelTimeKey = $"{job.Model}/{job.Function}/{job.Document.Parameters?.Size ?? "default"}",
            MaxWait = options.MaxWait,
            SlotRetryInterval = options.SlotRetryInterval,
        };
    }

    /// <summary>The URLs of a job's input, each with what it must point at.</summary>
    public static IReadOnlyList<MediaReference> MediaOf(VaceJobInput input, IReadOnlyList<string>? owned = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        return [.. input.Media().Select(m => new MediaReference(m.Path, m.Value, KindOf(m.Path), owned?.Contains(m.Value) == true))];
    }

    /// <summary>What the media field at <paramref name="path"/> (<c>input.video_url</c>, <c>input.ref_images_url[0]</c>) must point at.</summary>
    private static MediaKind KindOf(string path) => path[(JobFields.Input.Length + 1)..].Split('[')[0] switch
    {
        JobFields.VideoUrl or JobFields.MaskVideoUrl => MediaKind.Video,
        JobFields.FirstClipUrl or JobFields.LastClipUrl => MediaKind.Clip,
        _ => MediaKind.Image,
    };
}
