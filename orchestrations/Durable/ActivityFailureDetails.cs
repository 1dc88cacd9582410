namespace VaceFunctions.Orchestrations.Durable;

/// <summary>
/// What an activity's exception leaves in history, shaped like Durable Task's <c>TaskFailureDetails</c>: the
/// exception's type and message (and its inner failure). Typed exceptions become types the orchestrator can test
/// with <see cref="IsCausedBy{T}"/>.
/// </summary>
public sealed record ActivityFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace = null, ActivityFailureDetails? InnerFailure = null)
{
    /// <summary>Optional facts the failing activity attached (for example a service's error code).</summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>True when the failure was an exception of type <typeparamref name="T"/> or a type derived from it.</summary>
    public bool IsCausedBy<T>()
        where T : Exception
    {
        var type = Type.GetType(ErrorType, throwOnError: false)
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(ErrorType, throwOnError: false)).FirstOrDefault(t => t is not null);
        return type is not null ? typeof(T).IsAssignableFrom(type) : ErrorType == typeof(T).FullName;
    }

    /// <summary>Records an exception, with the properties of one that offers them.</summary>
    public static ActivityFailureDetails FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new ActivityFailureDetails(
            exception.GetType().FullName ?? exception.GetType().Name,
            exception.Message,
            exception.StackTrace,
            exception.InnerException is null ? null : FromException(exception.InnerException))
        {
            Properties = (exception as IHasFailureProperties)?.FailureProperties,
        };
    }
}
