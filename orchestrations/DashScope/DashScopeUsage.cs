using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>What a succeeded task is billed for: seconds of generated video.</summary>
public sealed record DashScopeUsage
{
    [JsonPropertyName("video_count")]
    public int? VideoCount { get; init; }

    [JsonPropertyName("video_duration")]
    public double? VideoDuration { get; init; }

    [JsonPropertyName("video_ratio")]
    public string? VideoRatio { get; init; }
}
