using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// The body of a create or query response: <c>{request_id, output:{…}, usage:{…}}</c>. The create response
/// carries only the task id and PENDING; <c>usage</c> comes only with SUCCEEDED.
/// </summary>
public sealed record DashScopeTaskResponse
{
    [JsonPropertyName("request_id")]
    public string? RequestId { get; init; }

    [JsonPropertyName("output")]
    public DashScopeTaskOutput? Output { get; init; }

    [JsonPropertyName("usage")]
    public DashScopeUsage? Usage { get; init; }
}
