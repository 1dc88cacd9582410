namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// A job's output or manifest name holds another job's blob, which is never replaced. Permanent: the orchestrator
/// does not retry it.
/// </summary>
public sealed class OutputConflictException(string message) : Exception(message)
{
    /// <summary>The message for a blob that belongs to another job.</summary>
    public static string Describe(string container, string blob, string what) =>
        $"{container}/{blob} already holds another job's {what}; a job never replaces another's output or record. Name another output.blob.";
}
