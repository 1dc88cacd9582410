namespace VaceFunctions.Orchestrations.Batches;

/// <summary>One line of <c>results.jsonl</c>: what became of one input line, in input order.</summary>
public sealed record BatchResultLine(
    int Line,
    string JobId,
    string Outcome,
    string? OutputUrl,
    string? Sha256,
    double? VideoSeconds,
    string? ErrorCode,
    string? ErrorMessage);
