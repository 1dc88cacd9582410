using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// The batch orchestration's input: where the batch's pages are, the settings that steer it (fixed across replays),
/// and how far it got — carried from one execution to the next when it continues as new.
/// </summary>
public sealed record BatchRequest
{
    public required string BatchId { get; init; }

    public required IntakeSource Source { get; init; }

    public required DateTime CreatedAt { get; init; }

    /// <summary>Job lines in the file, valid or not.</summary>
    public required int Lines { get; init; }

    public required int Rejected { get; init; }

    /// <summary>Pages of valid lines (<see cref="BatchOptions.PageSize"/> each, the last one shorter).</summary>
    public required int PageCount { get; init; }

    public required int PagesPerExecution { get; init; }

    public required TimeSpan FollowInterval { get; init; }

    public string? CallbackUrl { get; init; }

    /// <summary>For a batch from the inbox, the folder of its file: media named by bare names resolve beside it.</summary>
    public string? InboxFolder { get; init; }

    /// <summary>The first page not yet started; <see cref="PageCount"/> once all are.</summary>
    public int NextPage { get; init; }

    /// <summary>Lines started so far (new jobs or jobs that existed already).</summary>
    public int Started { get; init; }

    public bool Canceling { get; init; }

    public int? RunningAtCancel { get; init; }

    /// <summary>The orchestration's instance id: <c>batch:</c> and the batch id, never a job id (they have no colon).</summary>
    public static string InstanceId(string batchId) => InstancePrefix + batchId;

    public const string InstancePrefix = "batch:";
}
