using System.ComponentModel.DataAnnotations;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>The limits and pace of batches (section <c>Vace:Batches</c>), the same for every host.</summary>
/// <remarks>See docs/batches.md and docs/configuration.md.</remarks>
public sealed class BatchOptions
{
    public const string SectionName = "Vace:Batches";

    /// <summary>The most lines a batch may hold (<c>Vace__Batches__MaxLines</c>).</summary>
    [Range(1, 100_000)]
    public int MaxLines { get; set; } = 10_000;

    /// <summary>The most bytes a batch file may have (<c>Vace__Batches__MaxBytes</c>).</summary>
    [Range(1, 256L * 1024 * 1024)]
    public long MaxBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Lines started by one activity call; a batch is stored in pages of this many lines.</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 100;

    /// <summary>Pages started by one execution of the batch orchestration before it continues as new.</summary>
    [Range(1, 100)]
    public int PagesPerExecution { get; set; } = 5;

    /// <summary>How often a running batch reads its jobs' outcomes (<c>Vace__Batches__FollowInterval</c>).</summary>
    public TimeSpan FollowInterval { get; set; } = TimeSpan.FromSeconds(10);
}
