using System.ComponentModel.DataAnnotations;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>The blob-upload pipeline: configuration section <c>Vace:Inbox</c>.</summary>
public sealed class InboxOptions
{
    public const string SectionName = "Vace:Inbox";

    /// <summary>The container users upload <c>{folder}/job.json</c> and its media into.</summary>
    [Required]
    [RegularExpression("^[a-z0-9](-?[a-z0-9]){2,62}$")]
    public string Container { get; set; } = "vace-inbox";

    /// <summary>How often the container is listed for new job files.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the read-only SAS URLs of media beside a job file stay valid, from when they are minted (probe, submit).</summary>
    [Range(typeof(TimeSpan), "00:05:00", IO.BlobReadUrls.MaxUrlLifetime)]
    public TimeSpan MediaUrlLifetime { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A claim on a job file older than this, never finished (a crash), is taken over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Attempts at one job file before it is given up with a rejection record.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;
}
