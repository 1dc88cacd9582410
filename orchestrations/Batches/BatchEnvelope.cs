using System.Text.Json.Nodes;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// The batch's own fields: its id (the idempotency key), an optional callback URL, free metadata, and whether one
/// invalid line refuses the whole batch.
/// </summary>
public sealed record BatchEnvelope(string? Id, string? CallbackUrl, JsonObject? Metadata, bool AllOrNothing = false);
