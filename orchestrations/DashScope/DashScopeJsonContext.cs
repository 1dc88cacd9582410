using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>Source-generated serialization of the DashScope wire types.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DashScopeTaskResponse))]
[JsonSerializable(typeof(DashScopeErrorResponse))]
public sealed partial class DashScopeJsonContext : JsonSerializerContext;
