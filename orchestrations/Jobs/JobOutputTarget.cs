using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// Where the finished video goes: a container and blob name in the user's storage account. Either may be
/// left out; the defaults are the configured output container and <c>{jobId}/output.mp4</c>.
/// </summary>
public sealed record JobOutputTarget
{
    [JsonPropertyName(JobFields.Container)]
    public string? Container { get; init; }

    [JsonPropertyName(JobFields.Blob)]
    public string? Blob { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalFields { get; set; }
}
