using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Operations;

/// <summary>
/// The jobs queue's poison queue (<c>vace-jobs-poison</c>), for operators: list, show, re-drive and delete its messages,
/// each with the reason it is there (its rejection record, when intake filed one).
/// A queue can be peeked only from its front, 32 messages at most, and a message can be taken by id only by
/// receiving it: <see cref="ListAsync"/> peeks; the others walk the queue by receiving 32 at a time, hiding what they
/// have passed for <see cref="SearchVisibility"/> (an operation by id at the same time does not see them), and make
/// them visible again at once when done.
/// </summary>
public sealed class PoisonMessages(
    QueueServiceClient queues, BlobServiceClient blobs, JobIntake intake, IOptions<QueueIntakeOptions> queue, IOptions<WorkflowOptions> workflow)
{
    /// <summary>How long a search by id hides the messages it has passed, should it be cut off before making them visible again.</summary>
    public static readonly TimeSpan SearchVisibility = TimeSpan.FromSeconds(30);

    /// <summary>The most messages a search by id walks through.</summary>
    public const int MaxSearch = 5000;

    private const int Batch = 32;

    private QueueClient Poison => queues.GetQueueClient(queue.Value.PoisonName);

    /// <summary>The messages at the front of the poison queue, and how many it holds.</summary>
    public async Task<PoisonListing> ListAsync(CancellationToken cancellationToken)
    {
        var poison = Poison;
        if (!(await poison.ExistsAsync(cancellationToken)).Value)
        {
            return new PoisonListing(0, []);
        }

        var count = (await poison.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        var peeked = (await poison.PeekMessagesAsync(Batch, cancellationToken)).Value;
        var messages = new List<PoisonMessage>();
        foreach (var message in peeked)
        {
            messages.Add(await DescribeAsync(message.MessageId, message.InsertedOn, message.DequeueCount, message.Body, withDocument: false, cancellationToken));
        }

        return new PoisonListing(count, messages);
    }

    /// <summary>One message with its document, or null when the queue holds none with that id (or another operation hides it).</summary>
    public async Task<PoisonMessage?> ShowAsync(string messageId, CancellationToken cancellationToken)
    {
        var poison = Poison;
        if (!(await poison.ExistsAsync(cancellationToken)).Value)
        {
            return null;
        }

        // A message at the front is read without receiving it.
        var peeked = (await poison.PeekMessagesAsync(Batch, cancellationToken)).Value.FirstOrDefault(m => m.MessageId == messageId);
        if (peeked is not null)
        {
            return await DescribeAsync(peeked.MessageId, peeked.InsertedOn, peeked.DequeueCount, peeked.Body, withDocument: true, cancellationToken);
        }

        if (await ReceiveAsync(poison, messageId, cancellationToken) is not { } received)
        {
            return null;
        }

        await ReleaseAsync(poison, received);
        return await DescribeAsync(received.MessageId, received.InsertedOn, received.DequeueCount, received.Body, withDocument: true, cancellationToken);
    }

    /// <summary>
    /// Validates the message's document again — or <paramref name="replacement"/>, a corrected document that takes its
    /// place — as the queue's intake would: a valid one is sent to the jobs queue and the message deleted (sent first, so
    /// a failure in between leaves a duplicate that intake starts once, never a loss); an invalid one changes nothing.
    /// </summary>
    public async Task<RedriveOutcome> RedriveAsync(string messageId, ReadOnlyMemory<byte>? replacement, CancellationToken cancellationToken)
    {
        var poison = Poison;
        if (!(await poison.ExistsAsync(cancellationToken)).Value || await ReceiveAsync(poison, messageId, cancellationToken) is not { } message)
        {
            return RedriveOutcome.NotFound;
        }

        var document = replacement ?? QueuedDocument.Decode(message.Body);
        var check = intake.Check(document.Span, IntakeSource.Queue);
        if (check.Job is null)
        {
            await ReleaseAsync(poison, message);
            return new RedriveOutcome(true, false, check.JobId, [.. check.Errors]);
        }

        var jobs = queues.GetQueueClient(queue.Value.Name);
        await jobs.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await (replacement is { } fixedDocument
            ? jobs.SendMessageAsync(BinaryData.FromBytes(fixedDocument), cancellationToken: cancellationToken)
            : jobs.SendMessageAsync(message.MessageText, cancellationToken));
        await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        return new RedriveOutcome(true, true, check.JobId, []);
    }

    /// <summary>Deletes a message; false when the queue holds none with that id. Its rejection record stays.</summary>
    public async Task<bool> DeleteAsync(string messageId, CancellationToken cancellationToken)
    {
        var poison = Poison;
        if (!(await poison.ExistsAsync(cancellationToken)).Value || await ReceiveAsync(poison, messageId, cancellationToken) is not { } message)
        {
            return false;
        }

        await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Receives the message with this id, hidden for <see cref="SearchVisibility"/>: the caller deletes it or makes it
    /// visible again. Every other message received on the way is made visible again before this returns.
    /// </summary>
    private static async Task<QueueMessage?> ReceiveAsync(QueueClient poison, string messageId, CancellationToken cancellationToken)
    {
        var passed = new List<QueueMessage>();
        try
        {
            while (passed.Count < MaxSearch)
            {
                var batch = (await poison.ReceiveMessagesAsync(Batch, SearchVisibility, cancellationToken)).Value;
                if (batch.Length == 0)
                {
                    return null;
                }

                QueueMessage? found = null;
                foreach (var message in batch)
                {
                    if (message.MessageId == messageId)
                    {
                        found = message;
                    }
                    else
                    {
                        passed.Add(message);
                    }
                }

                if (found is not null)
                {
                    return found;
                }
            }

            return null;
        }
        finally
        {
            await Task.WhenAll(passed.Select(m => ReleaseAsync(poison, m)));
        }
    }

    private static async Task ReleaseAsync(QueueClient poison, QueueMessage message)
    {
        try
        {
            await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Deleted meanwhile, or its hiding lapsed and another operation holds it now: not ours to release.
        }
    }

    private async Task<PoisonMessage> DescribeAsync(
        string id, DateTimeOffset? insertedOn, long dequeueCount, BinaryData body, bool withDocument, CancellationToken cancellationToken)
    {
        var document = QueuedDocument.Decode(body);
        var check = intake.Check(document.Span, IntakeSource.Queue);
        var outputs = blobs.GetBlobContainerClient(workflow.Value.OutputContainer);
        var text = withDocument ? System.Text.Encoding.UTF8.GetString(document.Span) : null;
        return await RejectionRecords.ReadAsync(outputs, check.JobId, cancellationToken) is { } record
            ? new PoisonMessage(id, insertedOn, dequeueCount, check.JobId, PoisonMessage.Rejected, record.ReceivedAt, record.Errors, text)
            : new PoisonMessage(id, insertedOn, dequeueCount, check.JobId, PoisonMessage.Failed, null, [.. check.Errors], text);
    }
}
