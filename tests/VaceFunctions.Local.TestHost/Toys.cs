using VaceFunctions.Local.Durable;
using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.TestHost;

/// <summary>Toy orchestrations and activities that exercise the embedded runtime in tests.</summary>
public static class Toys
{
    public static void Register(DurableRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry
            .AddOrchestrator<Sequence, SequenceInput, int[]>(nameof(Sequence))
            .AddOrchestrator<FanOut, SequenceInput, int[]>(nameof(FanOut))
            .AddOrchestrator<Sleep, TimeSpan, DateTime>(nameof(Sleep))
            .AddOrchestrator<Retrying, RetryInput, string>(nameof(Retrying))
            .AddOrchestrator<CatchFailure, string, string>(nameof(CatchFailure))
            .AddOrchestrator<Unstable, string, string>(nameof(Unstable))
            .AddActivity<RecordStep, StepInput, int>(nameof(RecordStep))
            .AddActivity<Flaky, FlakyInput, int>(nameof(Flaky))
            .AddActivity<Echo, string, string>(nameof(Echo));
    }

    /// <summary>Steps run one after another; each result feeds the output.</summary>
    public sealed class Sequence : IOrchestrator<SequenceInput, int[]>
    {
        public async Task<int[]> RunAsync(IOrchestrationContext context, SequenceInput input)
        {
            var results = new List<int>();
            for (var i = 1; i <= input.Steps; i++)
            {
                results.Add(await context.CallActivityAsync<int>(nameof(RecordStep), new StepInput(context.InstanceId, i, input.LogFile)));
                context.SetCustomStatus(new { done = i });
            }

            return [.. results];
        }
    }

    /// <summary>All steps at once, then joined.</summary>
    public sealed class FanOut : IOrchestrator<SequenceInput, int[]>
    {
        public async Task<int[]> RunAsync(IOrchestrationContext context, SequenceInput input) =>
            await Task.WhenAll(Enumerable.Range(1, input.Steps)
                .Select(i => context.CallActivityAsync<int>(nameof(RecordStep), new StepInput(context.InstanceId, i, input.LogFile))));
    }

    /// <summary>Waits on a durable timer and returns the replay-safe time it woke at.</summary>
    public sealed class Sleep : IOrchestrator<TimeSpan, DateTime>
    {
        public async Task<DateTime> RunAsync(IOrchestrationContext context, TimeSpan input)
        {
            await context.CreateTimer(context.CurrentUtcDateTime + input, CancellationToken.None);
            return context.CurrentUtcDateTime;
        }
    }

    /// <summary>Calls a flaky activity with a retry policy that retries only InvalidOperationException.</summary>
    public sealed class Retrying : IOrchestrator<RetryInput, string>
    {
        public async Task<string> RunAsync(IOrchestrationContext context, RetryInput input)
        {
            var policy = new ActivityRetryPolicy(input.MaxAttempts, TimeSpan.FromMilliseconds(input.FirstRetryMs), 2.0)
            {
                Handle = failure => failure.IsCausedBy<InvalidOperationException>(),
            };
            var attempts = await context.CallActivityAsync<int>(nameof(Flaky), new FlakyInput(input.CounterFile, input.FailuresBeforeSuccess, input.Permanent), policy);
            return $"succeeded after {attempts} attempts";
        }
    }

    /// <summary>Catches an activity's typed failure and reports what it saw.</summary>
    public sealed class CatchFailure : IOrchestrator<string, string>
    {
        public async Task<string> RunAsync(IOrchestrationContext context, string input)
        {
            try
            {
                return await context.CallActivityAsync<string>(nameof(Echo), input);
            }
            catch (ActivityFailedException ex) when (ex.FailureDetails.IsCausedBy<ArgumentException>())
            {
                return $"caught {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}";
            }
        }
    }

    /// <summary>Takes a different path on each replay: the runtime must notice.</summary>
    public sealed class Unstable : IOrchestrator<string, string>
    {
        private static int s_runs;

        public async Task<string> RunAsync(IOrchestrationContext context, string input)
        {
            var first = await context.CallActivityAsync<string>(nameof(Echo), "a");
            var second = Interlocked.Increment(ref s_runs) % 2 == 0
                ? await context.CallActivityAsync<string>(nameof(Echo), "b")
                : await context.CallActivityAsync<string>(nameof(RecordStep), new StepInput(context.InstanceId, 1, null));
            return first + second;
        }
    }

    /// <param name="Steps">How many steps.</param>
    /// <param name="LogFile">A folder that records each step's executions, or null.</param>
    public sealed record SequenceInput(int Steps, string? LogFile);

    public sealed record StepInput(string InstanceId, int Step, string? LogFile);

    public sealed record RetryInput(string CounterFile, int FailuresBeforeSuccess, int MaxAttempts, int FirstRetryMs, bool Permanent);

    public sealed record FlakyInput(string CounterFile, int FailuresBeforeSuccess, bool Permanent);

    /// <summary>Returns step × 10 and records "instance step pid" as a file in the log folder: executions are countable.</summary>
    public sealed class RecordStep : IActivity<StepInput, int>
    {
        public async Task<int> RunAsync(StepInput input, CancellationToken cancellationToken)
        {
            if (input.LogFile is not null)
            {
                // One file per execution: concurrent activities, in one process or several, never share a write.
                Directory.CreateDirectory(input.LogFile);
                await File.WriteAllTextAsync(
                    Path.Combine(input.LogFile, $"{input.InstanceId} {input.Step} {Environment.ProcessId} {Guid.NewGuid():N}"), "", cancellationToken);
            }

            return input.Step * 10;
        }
    }

    /// <summary>Fails (InvalidOperationException, or NotSupportedException when permanent) until called enough times.</summary>
    public sealed class Flaky : IActivity<FlakyInput, int>
    {
        public async Task<int> RunAsync(FlakyInput input, CancellationToken cancellationToken)
        {
            await File.AppendAllTextAsync(input.CounterFile, "x", cancellationToken);
            var attempts = (await File.ReadAllTextAsync(input.CounterFile, cancellationToken)).Length;
            if (input.Permanent)
            {
                throw new NotSupportedException("permanent failure");
            }

            return attempts > input.FailuresBeforeSuccess ? attempts : throw new InvalidOperationException($"transient failure {attempts}");
        }
    }

    /// <summary>Returns its input; throws ArgumentException for "boom".</summary>
    public sealed class Echo : IActivity<string, string>
    {
        public Task<string> RunAsync(string input, CancellationToken cancellationToken) =>
            input == "boom" ? throw new ArgumentException("the input was boom", nameof(input)) : Task.FromResult(input);
    }
}
