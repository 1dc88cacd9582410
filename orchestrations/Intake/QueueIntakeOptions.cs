using System.ComponentModel.DataAnnotations;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// The job queue: configuration section <c>Vace:Queue</c>. The defaults follow the Azure Functions queue trigger
/// (batch of 16, 5 attempts, then <c>{queue}-poison</c>).
/// </summary>
public sealed class QueueIntakeOptions
{
    public const string SectionName = "Vace:Queue";

    [Required]
    [RegularExpression("^[a-z0-9](-?[a-z0-9]){2,62}$")]
    public string Name { get; set; } = "vace-jobs";

    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;

    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:05", "00:10:00")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public string PoisonName => Name + "-poison";
}
