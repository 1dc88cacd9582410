using System.Text.Json.Nodes;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// A job that passed validation: its id (given, or derived from the document), the model it runs on
/// (given, or the configured region's), the document, and the warnings found while validating it.
/// </summary>
public sealed record VaceJob(
    string Id,
    bool IdWasDerived,
    string Model,
    VaceJobDocument Document,
    IReadOnlyList<JobIssue> Warnings)
{
    /// <summary>
    /// Plain blob URLs (no SAS) of the job's media in the project's own storage, put in by the blob-upload intake:
    /// the workflow signs them only when it fetches them or sends them to DashScope.
    /// </summary>
    public IReadOnlyList<string> OwnedMedia { get; init; } = [];

    /// <summary>The VACE function, e.g. <c>video_edit</c>.</summary>
    public string Function => Document.Input.Function!;

    /// <summary>
    /// The body to POST to DashScope: the document without the envelope (id, output, callback_url, probe_inputs, traceparent), with the
    /// resolved model, and with every field this project does not know passed through unchanged.
    /// </summary>
    public JsonObject ToDashScopeRequest()
    {
        var body = (JsonObject)System.Text.Json.JsonSerializer.SerializeToNode(Document, JobJsonContext.Default.VaceJobDocument)!;
        body.Remove(JobFields.Id);
        body.Remove(JobFields.Output);
        body.Remove(JobFields.CallbackUrl);
        body.Remove(JobFields.ProbeInputs);
        body.Remove(JobFields.TraceParent);
        body[JobFields.Model] = Model;
        return body;
    }
}
