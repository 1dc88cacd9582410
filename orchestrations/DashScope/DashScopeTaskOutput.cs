using System.Globalization;
using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// The <c>output</c> of a task. Times are the service's local-time strings such as
/// <c>2025-03-18 17:38:24.817</c>; <c>code</c> and <c>message</c> come only with FAILED, <c>video_url</c> only
/// with SUCCEEDED (a signed URL that expires after 24 hours: never log it).
/// </summary>
public sealed record DashScopeTaskOutput
{
    /// <summary>The wire format of <see cref="SubmitTime"/>, <see cref="ScheduledTime"/> and <see cref="EndTime"/>.</summary>
    public const string TimeFormat = "yyyy-MM-dd HH:mm:ss.fff";

    [JsonPropertyName("task_id")]
    public string? TaskId { get; init; }

    [JsonPropertyName("task_status")]
    public string? TaskStatus { get; init; }

    [JsonPropertyName("submit_time")]
    public string? SubmitTime { get; init; }

    [JsonPropertyName("scheduled_time")]
    public string? ScheduledTime { get; init; }

    [JsonPropertyName("end_time")]
    public string? EndTime { get; init; }

    [JsonPropertyName("video_url")]
    public string? VideoUrl { get; init; }

    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    /// <summary>The parsed <see cref="TaskStatus"/>.</summary>
    [JsonIgnore]
    public DashScopeTaskStatus Status => DashScopeTaskStatuses.Parse(TaskStatus);

    /// <summary>Reads one of the service's time strings; null when absent or not in the documented format.</summary>
    public static DateTime? ParseTime(string? value) =>
        DateTime.TryParseExact(value, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
}
