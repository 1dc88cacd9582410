using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>The body of an error response: <c>{code, message, request_id}</c>.</summary>
public sealed record DashScopeErrorResponse
{
    [JsonPropertyName("request_id")]
    public string? RequestId { get; init; }

    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }
}
