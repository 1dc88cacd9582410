namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// How the simulator behaves: configuration section <c>Simulator</c> (<c>Simulator__ApiKey</c>,
/// <c>Simulator__RunningDuration</c>, …). The defaults follow the real service's account limits.
/// </summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    /// <summary>The one API key accepted as a Bearer token.</summary>
    public string ApiKey { get; set; } = "sk-simulator";

    /// <summary>How long a task stays PENDING.</summary>
    public TimeSpan PendingDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a task stays RUNNING before it ends.</summary>
    public TimeSpan RunningDuration { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Task submissions accepted per rolling second (the service: 2); 0 for no limit.</summary>
    public int SubmissionsPerSecond { get; set; } = 2;

    /// <summary>Tasks PENDING or RUNNING at once (the service: 2); 0 for no limit.</summary>
    public int MaxConcurrentTasks { get; set; } = 2;

    /// <summary>When set, 429 answers carry <c>Retry-After</c> with this many seconds.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>How long a task id can be queried (the service: 24 h); after it, UNKNOWN.</summary>
    public TimeSpan TaskLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a result's video_url works after the task ends (the service: 24 h); after it, 403.</summary>
    public TimeSpan VideoUrlLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Size of each result video in bytes. 0 serves the sample MP4 as it is; a larger size pads it with an MP4
    /// <c>free</c> box (still a valid MP4), for benchmarks of large outputs.
    /// </summary>
    public long OutputSizeBytes { get; set; }

    /// <summary>
    /// When set, the file the simulator keeps its account in (tasks, counters, the URL signing key and, when started
    /// with <see cref="SimulatorHost.StartAsync"/>, its address), so a restarted simulator continues its tasks and
    /// keeps its URLs; unset, everything is in memory and gone with the process.
    /// </summary>
    public string? StateFile { get; set; }

    /// <summary>Faults to inject; replaceable at run time through <c>PUT /admin/faults</c>.</summary>
    public SimulatorFaults Faults { get; set; } = new();
}
