namespace VaceFunctions.Orchestrations.Batches;

/// <summary>What batch intake did with a file: started the batch, found it started already, or refused it whole.</summary>
public sealed record BatchSubmission(BatchSubmissionStatus Status, BatchDocument Document);

public enum BatchSubmissionStatus
{
    /// <summary>A new batch was started with the file's valid lines.</summary>
    Started,

    /// <summary>A batch with this id exists already; nothing new was started.</summary>
    Existing,

    /// <summary>The file was refused whole (too large, too many lines, not JSONL or an array, a bad envelope).</summary>
    Refused,
}
