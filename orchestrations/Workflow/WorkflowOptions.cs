using System.ComponentModel.DataAnnotations;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// How jobs run: configuration section <c>Vace</c> (<c>Vace__PollInterval</c>, <c>Vace__MaxWait</c>,
/// <c>Vace__OutputContainer</c>, …), the same for every host. Settings that steer an orchestration are copied
/// into its input when it starts, so they stay fixed across replays.
/// </summary>
public sealed class WorkflowOptions : IValidatableObject
{
    public const string SectionName = "Vace";

    /// <summary>The steady interval between polls of a running task.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The first poll's delay. With no recent model times it starts the official SDK's schedule: this wait, doubling
    /// every 3 polls up to 5 times it (1, 1, 1, 2, 2, 2, 4, 4, 4, 5 s, …) for 4 steady intervals (<see cref="JobSchedule"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan InitialPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The interval between polls through the usual range of recent model times, where a task's end is likely.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan EndPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a job may wait for a slot and for its task before it fails with Timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "23:00:00")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>The container that receives outputs and manifests.</summary>
    [Required]
    public string OutputContainer { get; set; } = DefaultOutputContainer;

    public const string DefaultOutputContainer = "vace-output";

    /// <summary>
    /// Containers a job's <c>output.container</c> may name besides <see cref="OutputContainer"/> (which is always
    /// allowed), separated by commas: <c>Vace__AllowedOutputContainers=campaign-videos,archive</c>. Any other container,
    /// and the workflow's own storage (state, inbox, task hub) whatever this list says, is refused when the job is
    /// validated.
    /// </summary>
    public string? AllowedOutputContainers { get; set; }

    /// <summary>The entries of <see cref="AllowedOutputContainers"/>.</summary>
    public IReadOnlyList<string> AllowedOutputContainerList =>
        (AllowedOutputContainers ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The container of the workflow's own records: admission slots and submission write-ahead records.</summary>
    [Required]
    public string StateContainer { get; set; } = "vace-state";

    /// <summary>Check input media (type, size, duration) before paying for a task; a job may turn it off.</summary>
    public bool ProbeInputs { get; set; } = true;

    /// <summary>
    /// How long the probe of one medium may take, whatever its server does (stalls after its headers, trickles, never
    /// closes): past it the job fails InvalidInput naming the field, before anything is paid for.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one delivery of a callback may take, from connecting to the receiver's status line; a receiver that
    /// has not answered by then counts as a failed delivery (retried, then reported as a warning).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CallbackTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the output copy waits for the next byte of the result video: a download that stalls this long is cut
    /// and tried again (within the copy's 23-hour window), however long the whole download may take.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan DownloadStallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Tasks running at once for the account (the service allows 2).</summary>
    [Range(1, 100)]
    public int MaxConcurrentTasks { get; set; } = 2;

    /// <summary>Task submissions per second for the account (the service allows 2).</summary>
    [Range(1, 100)]
    public int SubmissionsPerSecond { get; set; } = 2;

    /// <summary>
    /// Submit again when an earlier attempt was interrupted before its answer was recorded (a crash mid-POST): at most
    /// <see cref="DashScope.SubmitTaskActivity.MaxInterruptedAttempts"/> times, the job reporting it in a warning, as the
    /// interrupted attempt may have created a task too (billed if it succeeds). Off: such a job ends AmbiguousSubmit.
    /// </summary>
    public bool ResubmitInterrupted { get; set; }

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

    /// <summary>
    /// When set, callbacks carry <c>X-Vace-Signature: t=UNIXSECONDS,v1=HEX</c>, an HMAC-SHA256 of <c>{t}.{body}</c> with
    /// this secret (<see cref="Output.CallbackSignature"/>). An unresolved Key Vault reference counts as not set
    /// (<see cref="Configuration.SecretSetting"/>).
    /// </summary>
    public string? CallbackSecret { get; set; }

    /// <summary>The secret callbacks are signed with; null when <see cref="CallbackSecret"/> is not set.</summary>
    public string? SigningSecret => Configuration.SecretSetting.ValueOf(CallbackSecret);

    /// <summary>
    /// How long finished instances (Completed, Failed, Terminated) and their history are kept after they were created;
    /// older ones are purged (<see cref="Operations.InstanceRetention"/>). Outputs, manifests and rejection records stay.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the local host purges instances past <see cref="Retention"/> (the Functions app: hourly, by its timer).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Refuses an output container or allow-list entry that is not a container name, or is the workflow's own storage.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var container in AllowedOutputContainerList.Prepend(OutputContainer))
        {
            if (!StorageNames.IsValidContainerName(container))
            {
                yield return new ValidationResult($"\"{container}\" is not a valid container name.", [nameof(AllowedOutputContainers)]);
            }
            else if (OutputConfinement.IsReserved(container, StateContainer, inboxContainer: null))
            {
                yield return new ValidationResult(
                    $"\"{container}\" holds the workflow's own records (state, task hub or Functions host); jobs may not write there.", [nameof(AllowedOutputContainers)]);
            }
        }
    }

    /// <summary>Describes the options without the callback secret.</summary>
    public override string ToString() =>
        $"Vace poll {PollInterval}, max wait {MaxWait}, output {OutputContainer}, probe {ProbeInputs}, callback secret {(SigningSecret is null ? "not set" : "set")}";
}
