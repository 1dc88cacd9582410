using System.ComponentModel.DataAnnotations;

namespace VaceFunctions.Local.Engine;

/// <summary>
/// The embedded Durable Task engine: configuration section <c>Durable</c> (<c>Durable__TaskHub</c>, …). The task
/// hub lives in <c>AzureWebJobsStorage</c>; hosts that name the same hub on the same account share its work.
/// </summary>
public sealed class EngineOptions
{
    public const string SectionName = "Durable";

    /// <summary>The task hub's name: its queues, tables and containers are named after it (3–45 letters and digits).</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$")]
    public string TaskHub { get; set; } = "VaceHub";

    /// <summary>
    /// This process's name among the hosts of the hub. Keep it across restarts of the same host: a restarted host
    /// with the same id takes its partitions back at once, a new id waits for the old leases to expire (about 30 s).
    /// Default: the machine's name and the HTTP port.
    /// </summary>
    public string? WorkerId { get; set; }

    /// <summary>Control-queue partitions; fixed when the hub is created.</summary>
    [Range(1, 16)]
    public int PartitionCount { get; set; } = 4;

    /// <summary>Orchestration episodes at once. The dispatcher pauses whenever it is at this cap, so keep it high.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentOrchestrations { get; set; } = 200;

    /// <summary>Activities at once.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentActivities { get; set; } = 200;

    /// <summary>
    /// How long a message being worked on stays hidden (renewed while the work runs). After a crash, an activity or
    /// an orchestration episode that was in flight is taken up again once this much time has passed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00")]
    public TimeSpan WorkItemVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest pause between polls of an idle queue.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);
}
