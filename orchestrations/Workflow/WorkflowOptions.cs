using System.ComponentModel.DataAnnotations;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// How jobs run: configuration section <c>Vace</c> (<c>Vace__PollInterval</c>, <c>Vace__MaxWait</c>,
/// <c>Vace__OutputContainer</c>, …), the same for every host. Settings that steer an orchestration are copied
/// into its input when it starts, so they stay fixed across replays.
/// </summary>
public sealed class WorkflowOptions
{
    public const string SectionName = "Vace";

    /// <summary>The steady interval between polls of a running task.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The first poll's delay; it doubles each poll up to <see cref="PollInterval"/> (5 s, 10 s, 15 s, 15 s, …).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan InitialPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a job may wait for a slot and for its task before it fails with Timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "23:00:00")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>The container that receives outputs and manifests.</summary>
    [Required]
    public string OutputContainer { get; set; } = "vace-output";

    /// <summary>The container of the workflow's own records: admission slots and submission write-ahead records.</summary>
    [Required]
    public string StateContainer { get; set; } = "vace-state";

    /// <summary>Check input media (type, size, duration) before paying for a task; a job may turn it off.</summary>
    public bool ProbeInputs { get; set; } = true;

    /// <summary>Tasks running at once for the account (the service allows 2).</summary>
    [Range(1, 100)]
    public int MaxConcurrentTasks { get; set; } = 2;

    /// <summary>Task submissions per second for the account (the service allows 2).</summary>
    [Range(1, 100)]
    public int SubmissionsPerSecond { get; set; } = 2;

    /// <summary>How often a waiting job asks again for a slot.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SlotRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Allow media, video and callback URLs on any loopback address and port (tests). Without it, loopback is
    /// reached only by downloads from the host's own origins — the DashScope base URL (the local simulator) and the
    /// storage account's blob endpoint (Azurite) — never by callbacks.
    /// </summary>
    public bool AllowLoopbackUrls { get; set; }

    /// <summary>
    /// Allow media, video and callback URLs on private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    /// Link-local and metadata addresses stay refused.
    /// </summary>
    public bool AllowPrivateNetworkUrls { get; set; }

    /// <summary>
    /// The largest result video the output copy takes (2 GiB): a longer body, announced or not, fails the job with
    /// <see cref="VaceJobErrorCodes.OutputTooLarge"/> without being retried.
    /// </summary>
    [Range(typeof(long), "1", "9223372036854775807")]
    public long MaxDownloadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>When set, callbacks carry <c>X-Vace-Signature: sha256=HEX</c>, an HMAC-SHA256 of the body with this secret.</summary>
    public string? CallbackSecret { get; set; }

    /// <summary>Describes the options without the callback secret.</summary>
    public override string ToString() =>
        $"Vace poll {PollInterval}, max wait {MaxWait}, output {OutputContainer}, probe {ProbeInputs}, callback secret {(CallbackSecret is null ? "not set" : "set")}";
}
