using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.Workflow;

// The job's waits: durable timers a Cancel cuts short, and activities whose failure ends the job with a code.
public sealed partial class VaceJobOrchestrator
{
    private sealed partial class Run
    {
        /// <summary>The reason of a Cancel already received, or null.</summary>
        private string? CanceledReason() =>
            !_cancel.IsCompleted ? null
            : _cancel.Result is { Length: > 0 } why ? $"Canceled: {why}"
            : "Canceled by request";

        /// <summary>Waits on a durable timer, or until a cancel or <paramref name="wake"/> completes.</summary>
        /// <returns>The reason when the job was canceled, else null.</returns>
        private async Task<string?> WaitOrCancelAsync(DateTime fireAt, Task? wake = null)
        {
            using var timerCancel = new CancellationTokenSource();
            var timer = context.CreateTimer(fireAt, timerCancel.Token);
            if (await Task.WhenAny(wake is null ? [timer, _cancel] : [timer, _cancel, wake]) != timer)
            {
                // Synchronously: CancelAsync would resume the orchestrator on the thread pool, outside its episode,
                // and the engine would take the episode as having nothing more to do — the job would hang.
                timerCancel.Cancel();
                return CanceledReason();
            }

            return null;
        }

        /// <summary>Awaits an activity; when it fails for good, the job fails with <paramref name="code"/>.</summary>
        private static async Task<T> OrFail<T>(Task<T> call, string code)
        {
            try
            {
                return await call;
            }
            catch (TaskFailedException ex)
            {
                throw new JobFailedException(code, ex.FailureDetails.ErrorMessage);
            }
        }

        private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
    }

    /// <summary>Ends the steps of a job with a code of its own.</summary>
    private sealed class JobFailedException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
