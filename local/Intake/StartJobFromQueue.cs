using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Local.Intake;

/// <summary>
/// StartJobFromQueue: takes job documents from the <c>vace-jobs</c> queue (plain JSON, or base64 as the Functions
/// queue trigger writes it) into intake, keeping each message hidden while its intake runs. A document that can never run is not retried: its rejection record is
/// written and the message goes straight to the poison queue. Other failures are retried up to the dequeue limit,
/// then poisoned. A duplicate delivery of a job starts nothing new.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Triggers are named for their source, as in the Functions app.")]
public sealed partial class StartJobFromQueue(
    QueueServiceClient queues,
    JobIntake intake,
    IOptions<QueueIntakeOptions> options,
    ILogger<StartJobFromQueue> logger) : BackgroundService
{
    private readonly QueueIntakeOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = queues.GetQueueClient(_options.Name);
        var poison = queues.GetQueueClient(_options.PoisonName);
        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        var idle = TimeSpan.FromMilliseconds(50);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var messages = (await queue.ReceiveMessagesAsync(_options.BatchSize, _options.VisibilityTimeout, stoppingToken)).Value;
                if (messages.Length == 0)
                {
                    await Task.Delay(idle, stoppingToken);
                    idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, _options.MaxPollingInterval.Ticks));
                    continue;
                }

                idle = TimeSpan.FromMilliseconds(50);
                await Task.WhenAll(messages.Select(m => HandleAsync(queue, poison, m, stoppingToken)));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.PollFailed(logger, _options.Name, ex);
                await Task.Delay(_options.MaxPollingInterval, stoppingToken);
            }
        }
    }

    private async Task HandleAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        await using var lease = QueueMessageLease.Start(queue, message, _options.VisibilityTimeout);
        try
        {
            var outcome = await intake.SubmitAsync(QueuedDocument.Decode(message.Body), IntakeSource.Queue, stoppingToken);
            if (outcome.Status == IntakeStatus.Rejected)
            {
                var errors = outcome.Errors.Count();
                Log.Rejected(logger, outcome.JobId, errors);
                await poison.SendMessageAsync(message.MessageText, stoppingToken);
            }
            else
            {
                Log.Accepted(logger, outcome.JobId, outcome.Status);
            }

            await lease.CompleteAsync();
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            Log.HandleFailed(logger, message.MessageId, message.DequeueCount, ex);
            if (message.DequeueCount >= _options.MaxDequeueCount)
            {
                await poison.SendMessageAsync(message.MessageText, stoppingToken);
                await lease.CompleteAsync();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Queued job {JobId}: {Status}")]
        public static partial void Accepted(ILogger logger, string jobId, IntakeStatus status);

        [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Queued job {JobId} rejected with {ErrorCount} errors; the message went to the poison queue and result.json says why")]
        public static partial void Rejected(ILogger logger, string jobId, int errorCount);

        [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Queue message {MessageId} failed (attempt {DequeueCount})")]
        public static partial void HandleFailed(ILogger logger, string messageId, long dequeueCount, Exception exception);

        [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Polling queue {Queue} failed")]
        public static partial void PollFailed(ILogger logger, string queue, Exception exception);
    }
}
