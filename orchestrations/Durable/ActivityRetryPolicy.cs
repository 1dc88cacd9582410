namespace VaceFunctions.Orchestrations.Durable;

/// <summary>
/// How an activity call is retried, shaped like Durable Task's <c>RetryPolicy</c>: attempts, first interval,
/// backoff coefficient, a cap on the interval, and which failures to retry. Retries wait on durable timers, so
/// they survive restarts.
/// </summary>
public sealed record ActivityRetryPolicy
{
    public ActivityRetryPolicy(int maxNumberOfAttempts, TimeSpan firstRetryInterval, double backoffCoefficient = 1.0, TimeSpan? maxRetryInterval = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstRetryInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(backoffCoefficient, 1.0);
        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = maxRetryInterval ?? TimeSpan.FromHours(1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryInterval, firstRetryInterval);
    }

    public int MaxNumberOfAttempts { get; }

    public TimeSpan FirstRetryInterval { get; }

    public double BackoffCoefficient { get; }

    public TimeSpan MaxRetryInterval { get; }

    /// <summary>Which failures are retried; all of them when null. Must be deterministic.</summary>
    public Func<ActivityFailureDetails, bool>? Handle { get; init; }

    /// <summary>The wait after failed attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var delay = FirstRetryInterval.TotalMilliseconds * Math.Pow(BackoffCoefficient, attempt - 1);
        return delay >= MaxRetryInterval.TotalMilliseconds ? MaxRetryInterval : TimeSpan.FromMilliseconds(delay);
    }

    /// <summary>Whether to try again after failed attempt <paramref name="attempt"/> (1-based).</summary>
    public bool ShouldRetry(int attempt, ActivityFailureDetails failure) =>
        attempt < MaxNumberOfAttempts && (Handle?.Invoke(failure) ?? true);
}
