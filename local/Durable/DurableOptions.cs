using System.ComponentModel.DataAnnotations;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// The embedded durable runtime: configuration section <c>Durable</c>. All host processes that share a hub
/// name and a storage account share the work.
/// </summary>
public sealed class DurableOptions
{
    public const string SectionName = "Durable";

    /// <summary>Prefix of the hub's containers and queues: 3–40 lowercase letters and digits.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]{3,40}$")]
    public string HubName { get; set; } = "vacehub";

    /// <summary>Activities one process runs at once.</summary>
    [Range(1, 256)]
    public int MaxConcurrentActivities { get; set; } = 8;

    /// <summary>Instances one process replays at once.</summary>
    [Range(1, 256)]
    public int MaxConcurrentOrchestrations { get; set; } = 8;

    /// <summary>How long a control message is hidden while an episode runs; then another process may take it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ControlVisibility { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a running activity's message stays hidden; renewed at half-time while it runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ActivityVisibility { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest wait between polls of an empty queue (polling speeds up again when work arrives).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a queue message may stay invisible (Azure Storage: 7 days). Longer timers are chained
    /// through several messages; tests shorten it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxQueueVisibility { get; set; } = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    /// <summary>A message that failed this many times goes to the poison queue.</summary>
    [Range(1, 1000)]
    public int MaxDequeueCount { get; set; } = 20;

    /// <summary>
    /// Called at the steps where a crash is most telling ("control:committed", "control:sent",
    /// "activity:ran", "activity:sent"); the crash tests use it to kill the process there.
    /// </summary>
    public Action<string>? StepHook { get; set; }
}
