using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// A job document: the body of a DashScope video-synthesis request (model, input, parameters), unchanged,
/// plus the optional envelope (id, output, callback_url, probe_inputs, traceparent). Fields this project does not know are kept in
/// <see cref="AdditionalFields"/> and sent on to the service.
/// </summary>
public sealed record VaceJobDocument
{
    [JsonPropertyName(JobFields.Id)]
    public string? Id { get; init; }

    [JsonPropertyName(JobFields.Model)]
    public string? Model { get; init; }

    [JsonPropertyName(JobFields.Input)]
    public VaceJobInput Input { get; init; } = new();

    [JsonPropertyName(JobFields.Parameters)]
    public VaceJobParameters? Parameters { get; init; }

    [JsonPropertyName(JobFields.Output)]
    public JobOutputTarget? Output { get; init; }

    [JsonPropertyName(JobFields.CallbackUrl)]
    public string? CallbackUrl { get; init; }

    /// <summary>Whether to check the input media before submitting; the configured default when absent.</summary>
    [JsonPropertyName(JobFields.ProbeInputs)]
    public bool? ProbeInputs { get; init; }

    /// <summary>The W3C trace context of the sender, which the job's trace continues; never sent to the service.</summary>
    [JsonPropertyName(JobFields.TraceParent)]
    public JsonElement? TraceParent { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalFields { get; set; }
}
