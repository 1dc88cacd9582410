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

    /// <summary>
    /// Each media field that has a value, in document order: its path in the document (<c>input.video_url</c>,
    /// <c>input.ref_images_url[1]</c>) and its value (a URL, or in a job file the name of a blob beside it).
    /// </summary>
    public IReadOnlyList<(string Path, string Value)> Media()
    {
        var media = new List<(string, string)>();
        WithMedia((path, value) =>
        {
            media.Add((path, value));
            return value;
        });
        return media;
    }

    /// <summary>This input with each media value replaced by what <paramref name="map"/> makes of its path and value.</summary>
    public VaceJobInput WithMedia(Func<string, string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        string? Map(string field, string? value) => value is null ? null : map($"{JobFields.Input}.{field}", value);
        return this with
        {
            RefImagesUrl = RefImagesUrl?.Select((value, i) => map($"{JobFields.Input}.{JobFields.RefImagesUrl}[{i}]", value)).ToArray(),
            VideoUrl = Map(JobFields.VideoUrl, VideoUrl),
            MaskImageUrl = Map(JobFields.MaskImageUrl, MaskImageUrl),
            MaskVideoUrl = Map(JobFields.MaskVideoUrl, MaskVideoUrl),
            FirstClipUrl = Map(JobFields.FirstClipUrl, FirstClipUrl),
            LastClipUrl = Map(JobFields.LastClipUrl, LastClipUrl),
            FirstFrameUrl = Map(JobFields.FirstFrameUrl, FirstFrameUrl),
            LastFrameUrl = Map(JobFields.LastFrameUrl, LastFrameUrl),
        };
    }
}
