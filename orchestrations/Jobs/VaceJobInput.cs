using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>The <c>input</c> object of a VACE request; which fields apply depends on <see cref="Function"/>.</summary>
public sealed record VaceJobInput
{
    [JsonPropertyName(JobFields.Function)]
    public string? Function { get; init; }

    [JsonPropertyName(JobFields.Prompt)]
    public string? Prompt { get; init; }

    [JsonPropertyName(JobFields.RefImagesUrl)]
    public IReadOnlyList<string>? RefImagesUrl { get; init; }

    [JsonPropertyName(JobFields.VideoUrl)]
    public string? VideoUrl { get; init; }

    [JsonPropertyName(JobFields.MaskImageUrl)]
    public string? MaskImageUrl { get; init; }

    [JsonPropertyName(JobFields.MaskVideoUrl)]
    public string? MaskVideoUrl { get; init; }

    [JsonPropertyName(JobFields.MaskFrameId)]
    public int? MaskFrameId { get; init; }

    [JsonPropertyName(JobFields.FirstClipUrl)]
    public string? FirstClipUrl { get; init; }

    [JsonPropertyName(JobFields.LastClipUrl)]
    public string? LastClipUrl { get; init; }

    [JsonPropertyName(JobFields.FirstFrameUrl)]
    public string? FirstFrameUrl { get; init; }

    [JsonPropertyName(JobFields.LastFrameUrl)]
    public string? LastFrameUrl { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalFields { get; set; }
}
