using Azure.Storage.Queues;
using VaceFunctions.Local.Intake;

namespace VaceFunctions.Local.Tests.Intake;

public sealed class QueueMessageLeaseTests
{
    [Fact]
    public async Task Lease_KeepsTheMessageHiddenPastItsVisibility_AndCompleteDeletesIt()
    {
        var queue = await QueueAsync();
        await queue.SendMessageAsync("work");
        var message = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(2))).Value;

        await using (var lease = QueueMessageLease.Start(queue, message, TimeSpan.FromSeconds(2)))
        {
            await Task.Delay(TimeSpan.FromSeconds(4.5));
            Assert.Null((await queue.ReceiveMessageAsync()).Value);
            await lease.CompleteAsync();
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Null((await queue.PeekMessageAsync()).Value);
    }

    [Fact]
    public async Task Lease_DisposedWithoutCompleting_LetsTheMessageReappear()
    {
        var queue = await QueueAsync();
        await queue.SendMessageAsync("work");
        var message = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(1))).Value;

        await using (QueueMessageLease.Start(queue, message, TimeSpan.FromSeconds(1)))
        {
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal("work", (await queue.ReceiveMessageAsync()).Value.MessageText);
    }

    private static async Task<QueueClient> QueueAsync()
    {
        var queue = new QueueClient((await Azurite.GetAsync()).ConnectionString, Azurite.UniqueName("lease"));
        await queue.CreateAsync();
        return queue;
    }
}
