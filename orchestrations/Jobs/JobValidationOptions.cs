using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// What the validator needs to know about where a job came from and where it will run.
/// </summary>
public sealed record JobValidationOptions
{
    public static JobValidationOptions Default { get; } = new();

    /// <summary>
    /// The region of the configured DashScope endpoint. A job's model must belong to it, and a job without a
    /// model takes its model. Null when the endpoint has no fixed region (the simulator): any VACE model is
    /// accepted and the international one is the default.
    /// </summary>
    public DashScopeRegion? Region { get; init; } = DashScopeRegion.International;

    /// <summary>
    /// True for a job file of the blob-upload pipeline, where a media field may name a blob beside the job file
    /// (<c>"video_url": "clip.mp4"</c>), later turned into a short-lived read-only SAS URL.
    /// </summary>
    public bool AllowRelativeMediaNames { get; init; }

    /// <summary>The configured model (<c>DashScope:Model</c>) for jobs that name none; null for the region's.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// The containers a job's <c>output.container</c> may name (<see cref="OutputConfinement.WritableContainers"/>: the output
    /// container and the allow-list, never the workflow's own storage); by default only <c>vace-output</c>.
    /// </summary>
    public IReadOnlyList<string> OutputContainers { get; init; } = [WorkflowOptions.DefaultOutputContainer];

    /// <summary>
    /// Whether a callback_url may be plain http (local development, when loopback URLs are allowed); otherwise a
    /// callback must be https, as it carries the job's result and, when a secret is set, its signature.
    /// </summary>
    public bool AllowHttpCallbackUrls { get; init; }

    /// <summary>
    /// True when the host itself put the document's <c>id</c> there (the DashScope face's fresh and idempotency-key
    /// ids): it may then start with a prefix of <see cref="JobId.ReservedPrefixes"/>, which a client's id may not.
    /// </summary>
    public bool IdAssignedByHost { get; init; }

    /// <summary>The model a job without one runs on.</summary>
    public string DefaultModel => Model ?? VaceModels.ForRegion(Region ?? DashScopeRegion.International);
}
