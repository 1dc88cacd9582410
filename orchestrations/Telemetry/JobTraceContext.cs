using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Telemetry;

/// <summary>
/// The trace a job document continues: its <c>traceparent</c> envelope field, a W3C trace context
/// (<c>00-{trace id}-{parent span id}-{flags}</c>). A queue message has no headers, so the document carries it; an HTTP
/// caller may send the <c>traceparent</c> header instead.
/// </summary>
public static class JobTraceContext
{
    /// <summary>The context the document names; null when it names none, or one that is not a valid traceparent.</summary>
    public static ActivityContext? Of(JsonObject? document) =>
        document?[JobFields.TraceParent] is JsonValue value && value.GetValueKind() == JsonValueKind.String
        && ActivityContext.TryParse(value.GetValue<string>(), null, isRemote: true, out var context)
            ? context
            : null;
}
