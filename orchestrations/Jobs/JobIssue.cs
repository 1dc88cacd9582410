using System.Text.Json.Serialization;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// One problem found in a job document.
/// </summary>
/// <param name="Severity">Error (the job is rejected) or warning (the job runs).</param>
/// <param name="Code">A stable machine-readable code from <see cref="JobIssueCodes"/>.</param>
/// <param name="Path">Where in the document: <c>input.ref_images_url[3]</c>; <c>$</c> for the document itself.</param>
/// <param name="Message">What is wrong and how to fix it, for a person.</param>
public sealed record JobIssue(
    [property: JsonPropertyName("severity")] JobIssueSeverity Severity,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("message")] string Message)
{
    public const string RootPath = "$";

    public static JobIssue Error(string code, string path, string message) => new(JobIssueSeverity.Error, code, path, message);

    public static JobIssue Warning(string code, string path, string message) => new(JobIssueSeverity.Warning, code, path, message);

    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()} {Path}: {Message} [{Code}]";
}
