using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace validate FILE…</c>: checks job documents without running them and prints every error and warning.
/// Exit code 0 when all are valid, 1 when any is invalid, 2 when any file could not be read.
/// </summary>
public static partial class ValidateCommand
{
    public const int ExitValid = 0;
    public const int ExitInvalid = 1;
    public const int ExitUnreadable = 2;

    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("files")
        {
            Description = "Job documents (JSON) to check.",
            Arity = ArgumentArity.OneOrMore,
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print the results as JSON, for machines.",
        };
        var region = new Option<string>("--region")
        {
            Description = "Region of the DashScope endpoint the jobs will run on; a job's model must belong to it. "
                + "'any' accepts either model (as the simulator does).",
            DefaultValueFactory = _ => "international",
        };
        region.AcceptOnlyFromAmong("international", "chinese-mainland", "any");
        var blobPipeline = new Option<bool>("--blob-pipeline")
        {
            Description = "Check the files as job files of the blob-upload pipeline, where a media field may name a blob beside the job file.",
        };

        var command = new Command("validate", "Check job documents against every rule of the VACE functions, without running them.")
        {
            files, json, region, blobPipeline,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // The output containers and callback rules of the host this configuration (environment, local.settings.json) runs.
            var source = parseResult.GetValue(blobPipeline) ? IntakeSource.Blob : IntakeSource.Queue;
            var options = IntakeTarget.ValidationOptions(VaceLocalHost.ReadConfiguration([]), source) with
            {
                Region = ParseRegion(parseResult.GetValue(region)!),
                Model = null,
            };
            var outcomes = new List<FileOutcome>();
            foreach (var file in parseResult.GetValue(files)!)
            {
                outcomes.Add(await CheckAsync(file, options, cancellationToken));
            }

            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(json))
            {
                await output.WriteLineAsync(CliJson.Write(JsonSerializer.SerializeToNode(outcomes, ValidateJsonContext.Default.ListFileOutcome)));
            }
            else
            {
                await WriteReadableAsync(output, outcomes);
            }

            return outcomes.Any(o => o.Status == FileStatus.Unreadable) ? ExitUnreadable
                : outcomes.Any(o => o.Status == FileStatus.Invalid) ? ExitInvalid
                : ExitValid;
        });
        return command;
    }

    private static DashScopeRegion? ParseRegion(string value) => value switch
    {
        "chinese-mainland" => DashScopeRegion.ChineseMainland,
        "any" => null,
        _ => DashScopeRegion.International,
    };

    private static async Task<FileOutcome> CheckAsync(FileInfo file, JobValidationOptions options, CancellationToken cancellationToken)
    {
        JobValidationResult result;
        try
        {
            await using var stream = file.OpenRead();
            result = Check(await JobDocumentReader.ReadAsync(stream, cancellationToken), options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new FileOutcome(file.ToString(), FileStatus.Unreadable, Message: ex.Message);
        }

        return new FileOutcome(
            file.ToString(),
            result.IsValid ? FileStatus.Valid : FileStatus.Invalid,
            result.Job?.Id,
            result.Job?.Function,
            result.Job?.Model,
            result.Errors.Select(IssueOutcome.From).ToArray(),
            result.Warnings.Select(IssueOutcome.From).ToArray());
    }

    /// <summary>A document read as intake reads it, validated as intake validates it: every error and warning, and the job with its id.</summary>
    internal static JobValidationResult Check(JobReadResult read, JobValidationOptions options)
    {
        ArgumentNullException.ThrowIfNull(read);
        return read.Succeeded ? JobValidator.Validate(read.Document, options) : new JobValidationResult([read.Error], null);
    }

    private static async Task WriteReadableAsync(TextWriter output, List<FileOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            switch (outcome.Status)
            {
                case FileStatus.Valid:
                    await output.WriteLineAsync(
                        $"{outcome.File}: valid — {outcome.Function} on {outcome.Model}, job id {outcome.JobId}{Count(outcome.Warnings, ", ", "warning")}");
                    break;
                case FileStatus.Invalid:
                    await output.WriteLineAsync(
                        $"{outcome.File}: invalid — {Count(outcome.Errors, "", "error")}{Count(outcome.Warnings, ", ", "warning")}");
                    break;
                default:
                    await output.WriteLineAsync($"{outcome.File}: unreadable — {outcome.Message}");
                    break;
            }

            foreach (var (label, issues) in new[] { ("error", outcome.Errors), ("warning", outcome.Warnings) })
            {
                foreach (var issue in issues ?? [])
                {
                    await output.WriteLineAsync(JobSummary.IssueLine(label, issue.Path, issue.Message, issue.Code));
                }
            }
        }

        var valid = outcomes.Count(o => o.Status == FileStatus.Valid);
        var invalid = outcomes.Count(o => o.Status == FileStatus.Invalid);
        var unreadable = outcomes.Count - valid - invalid;
        await output.WriteLineAsync($"{valid} valid, {invalid} invalid, {unreadable} unreadable");
    }

    private static string Count(IReadOnlyList<IssueOutcome>? issues, string separator, string noun) =>
        issues is { Count: > 0 } ? $"{separator}{issues.Count} {noun}{(issues.Count == 1 ? "" : "s")}" : "";

    internal enum FileStatus
    {
        [JsonStringEnumMemberName("valid")]
        Valid,

        [JsonStringEnumMemberName("invalid")]
        Invalid,

        [JsonStringEnumMemberName("unreadable")]
        Unreadable,
    }

    internal sealed record FileOutcome(
        string File,
        FileStatus Status,
        string? JobId = null,
        string? Function = null,
        string? Model = null,
        IReadOnlyList<IssueOutcome>? Errors = null,
        IReadOnlyList<IssueOutcome>? Warnings = null,
        string? Message = null);

    internal sealed record IssueOutcome(string Path, string Code, string Message)
    {
        public static IssueOutcome From(JobIssue issue) => new(issue.Path, issue.Code, issue.Message);
    }

    [JsonSourceGenerationOptions(
        PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UseStringEnumConverter = true,
        WriteIndented = true)]
    [JsonSerializable(typeof(List<FileOutcome>))]
    internal sealed partial class ValidateJsonContext : JsonSerializerContext;
}
