using System.Text.Json.Nodes;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>The batch's own fields: its id (the idempotency key), an optional callback URL and free metadata.</summary>
public sealed record BatchEnvelope(string? Id, string? CallbackUrl, JsonObject? Metadata);
