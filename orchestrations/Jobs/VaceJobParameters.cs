using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>The <c>parameters</c> object of a VACE request; which fields apply depends on the function.</summary>
public sealed record VaceJobParameters
{
    [JsonPropertyName(JobFields.PromptExtend)]
    public bool? PromptExtend { get; init; }

    [JsonPropertyName(JobFields.Size)]
    public string? Size { get; init; }

    [JsonPropertyName(JobFields.ObjOrBg)]
    public IReadOnlyList<string>? ObjOrBg { get; init; }

    [JsonPropertyName(JobFields.ControlCondition)]
    public string? ControlCondition { get; init; }

    [JsonPropertyName(JobFields.Strength)]
    public double? Strength { get; init; }

    [JsonPropertyName(JobFields.MaskType)]
    public string? MaskType { get; init; }

    [JsonPropertyName(JobFields.ExpandRatio)]
    public double? ExpandRatio { get; init; }

    [JsonPropertyName(JobFields.TopScale)]
    public double? TopScale { get; init; }

    [JsonPropertyName(JobFields.BottomScale)]
    public double? BottomScale { get; init; }

    [JsonPropertyName(JobFields.LeftScale)]
    public double? LeftScale { get; init; }

    [JsonPropertyName(JobFields.RightScale)]
    public double? RightScale { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalFields { get; set; }
}
