namespace VaceFunctions.Orchestrations.Durable;

/// <summary>An exception that records facts beyond its message when an activity fails with it.</summary>
public interface IHasFailureProperties
{
    IReadOnlyDictionary<string, string> FailureProperties { get; }
}
