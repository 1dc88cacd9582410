using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>How results, statuses and manifests are written for people and callbacks: camelCase, enums as strings.</summary>
public static class WorkflowJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
