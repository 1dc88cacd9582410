using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// How results, statuses and manifests are written for people and callbacks, and how the engine stores orchestration
/// inputs, outputs and custom statuses (<see cref="DataConverter"/>): camelCase, enums as strings.
/// </summary>
public static class WorkflowJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The Durable Task data converter over <see cref="Options"/>, for workers and clients of both hosts.</summary>
    public static DataConverter DataConverter { get; } = new JsonDataConverter(Options);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
