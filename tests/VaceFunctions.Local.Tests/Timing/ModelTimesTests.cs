using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Timing;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Timing;

/// <summary>The recent model times on Azurite: per kind, bounded, and shared by hosts recording at once.</summary>
public sealed class ModelTimesTests
{
    [Fact]
    public async Task Record_KeepsTheLatestTimesPerKind_OldestFirst_AtMostTheBound()
    {
        var times = await TimesAsync();
        Assert.Empty(await times.ReadAsync("wan2.1-vace-plus/video_edit/1280*720", default));

        for (var i = 1; i <= JobSchedule.RecentCount + 3; i++)
        {
            await times.RecordAsync("wan2.1-vace-plus/video_edit/1280*720", i, default);
        }

        await times.RecordAsync("wan2.1-vace-plus/image_reference/default", 42.5, default);

        Assert.Equal([.. Enumerable.Range(4, JobSchedule.RecentCount).Select(i => (double)i)], await times.ReadAsync("wan2.1-vace-plus/video_edit/1280*720", default));
        Assert.Equal([42.5], await times.ReadAsync("wan2.1-vace-plus/image_reference/default", default));
    }

    [Fact]
    public async Task Record_FromHostsAtOnce_LosesNoTime()
    {
        var container = Azurite.UniqueName("state");
        var hosts = new[] { await TimesAsync(container), await TimesAsync(container), await TimesAsync(container) };

        await Task.WhenAll(Enumerable.Range(0, 9).Select(i => hosts[i % 3].RecordAsync("kind", 30 + i, default)));

        Assert.Equal([.. Enumerable.Range(30, 9).Select(i => (double)i)], (await hosts[0].ReadAsync("kind", default)).Order());
    }

    private static async Task<ModelTimes> TimesAsync(string? container = null)
    {
        var options = Options.Create(new WorkflowOptions { StateContainer = container ?? Azurite.UniqueName("state") });
        return new ModelTimes(new BlobServiceClient((await Azurite.GetAsync()).ConnectionString), options);
    }
}
