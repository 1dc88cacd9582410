using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>Source-generated serialization of the job model; the wire names come from <see cref="JobFields"/>.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VaceJobDocument))]
internal sealed partial class JobJsonContext : JsonSerializerContext;
