using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace VaceFunctions.Local.Intake;

/// <summary>
/// Keeps a received queue message hidden while its work runs, however long that takes, by extending its
/// visibility at half-time; <see cref="CompleteAsync"/> deletes it with the latest pop receipt. Disposing without
/// completing lets the message reappear for another attempt.
/// </summary>
internal sealed class QueueMessageLease : IAsyncDisposable
{
    private readonly QueueClient _queue;
    private readonly QueueMessage _message;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private string _popReceipt;

    private QueueMessageLease(QueueClient queue, QueueMessage message, TimeSpan visibility)
    {
        _queue = queue;
        _message = message;
        _popReceipt = message.PopReceipt;
        _renewal = RenewAsync(visibility);
    }

    public static QueueMessageLease Start(QueueClient queue, QueueMessage message, TimeSpan visibility) => new(queue, message, visibility);

    /// <summary>Stops renewing and deletes the message.</summary>
    public async Task CompleteAsync()
    {
        await StopAsync();
        try
        {
            await _queue.DeleteMessageAsync(_message.MessageId, _popReceipt, CancellationToken.None);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Another process took the message after its visibility lapsed and deleted it: nothing left to do.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        // Let an extension in flight finish, so its new pop receipt is the one used to delete.
        await _renewal;
    }

    private async Task RenewAsync(TimeSpan visibility)
    {
        try
        {
            while (true)
            {
                await Task.Delay(visibility / 2, _stop.Token);
                _popReceipt = (await _queue.UpdateMessageAsync(_message.MessageId, _popReceipt, visibilityTimeout: visibility)).Value.PopReceipt;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (RequestFailedException)
        {
            // The message is gone or was taken over: nothing left to keep hidden.
        }
    }
}
