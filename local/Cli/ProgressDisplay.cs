using System.Diagnostics;
using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// The progress display of every command that follows jobs (<c>vace demo</c>, <c>submit</c>, <c>enqueue</c>,
/// <c>upload</c>): a line, stamped with the seconds since the display started, whenever a job's progress changes.
/// Following several jobs, each line names its job.
/// </summary>
internal sealed class ProgressDisplay(TextWriter output, int jobCount = 1)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Dictionary<string, string> _last = new(StringComparer.Ordinal);

    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>Prints the job's progress line, unless it is the one printed last for that job.</summary>
    public async Task ShowAsync(string jobId, string line)
    {
        if (_last.TryGetValue(jobId, out var last) && last == line)
        {
            return;
        }

        _last[jobId] = line;
        var stamp = $"[{_watch.Elapsed.TotalSeconds,6:F1}s]";
        await output.WriteLineAsync(jobCount > 1 ? $"{stamp} {jobId}: {line}" : $"{stamp} {line}");
    }

    /// <summary>Follows a job through the host's own <see cref="DurableTaskClient"/> (<c>vace demo</c>) until it ends.</summary>
    public static async Task<OrchestrationMetadata> FollowAsync(DurableTaskClient client, string jobId, TextWriter console, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var display = new ProgressDisplay(console);
        while (true)
        {
            var status = await client.GetInstanceAsync(jobId, getInputsAndOutputs: true, cancellationToken);
            if (status?.SerializedCustomStatus is not null && status.ReadCustomStatusAs<VaceJobStatus>() is { } progress)
            {
                await display.ShowAsync(jobId, Describe(progress));
            }

            if (status is { IsCompleted: true })
            {
                return status;
            }

            if (display.Elapsed > timeout)
            {
                throw new TimeoutException($"Job {jobId} is still running after {timeout}.");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>A job's progress in one line.</summary>
    public static string Describe(VaceJobStatus status) => status.Phase switch
    {
        VaceJobPhase.WaitingForSlot => status.QueuePosition is { } position ? $"waiting for a task slot ({position} ahead)" : "waiting for a task slot",
        VaceJobPhase.Generating when status.Outage is not null => $"generating: task {status.TaskId}, DashScope unreachable since {status.OutageSince:HH:mm:ss} ({status.Outage}); waiting",
        VaceJobPhase.Generating => $"generating: task {status.TaskId} {status.TaskStatus}{(status.PollCount > 0 ? $", poll {status.PollCount}" : "")}",
        VaceJobPhase.AwaitingBilledTask => $"{status.Outcome?.ErrorCode}: task {status.TaskId} is still {status.TaskStatus} and billed; its slot is held until it ends",
        _ => status.Phase.ToString(),
    };
}
