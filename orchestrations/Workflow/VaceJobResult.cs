using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// How a job ended: the verified output (blob, size, sha256, duration, usage and the service's timings), or the
/// error — the service's code and message, or one of <see cref="VaceJobErrorCodes"/> — never a bare exception.
/// </summary>
public sealed record VaceJobResult
{
    public required string JobId { get; init; }

    public required bool Succeeded { get; init; }

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    public string? TaskId { get; init; }

    public string? TaskStatus { get; init; }

    public string? Container { get; init; }

    public string? Blob { get; init; }

    /// <summary>The output blob's URL, without any SAS.</summary>
    public string? BlobUrl { get; init; }

    public long? Size { get; init; }

    public string? Sha256 { get; init; }

    /// <summary>The video's duration in seconds, from its MP4 header.</summary>
    public double? DurationSeconds { get; init; }

    public DashScopeUsage? Usage { get; init; }

    public string? SubmitTime { get; init; }

    public string? ScheduledTime { get; init; }

    public string? EndTime { get; init; }

    public string? ManifestBlob { get; init; }

    public IReadOnlyList<JobIssue> Warnings { get; init; } = [];

    public static VaceJobResult Failure(string jobId, string code, string message) =>
        new() { JobId = jobId, Succeeded = false, ErrorCode = code, ErrorMessage = message };
}
