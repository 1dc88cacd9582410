using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.Local.Tests.Http;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Local.Tests.Operations;

/// <summary>The jobs queue's poison messages through the host's HTTP API and the vace CLI, on Azurite, against the simulator.</summary>
public sealed class PoisonMessagesTests(HttpHostFixture host) : IClassFixture<HttpHostFixture>, IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-poison-");

    public void Dispose() => _temp.Delete(recursive: true);

    private string Url => host.Host.Urls.First();

    [Fact]
    public async Task InvalidDocument_IsListedWithItsReason_StaysWhenRedrivenAsItIs_AndAFixedOneRunsToASucceededJob()
    {
        var document = Invalid("poison-fix-1");
        await SendToQueueAsync(document.ToJsonString());
        var listed = await WaitForPoisonAsync("poison-fix-1");

        Assert.Equal("rejected", listed["reason"]!.GetValue<string>());
        Assert.Equal(["input.mask_video_url", "parameters.mask_type"], Paths(listed["errors"]));
        var id = listed["id"]!.GetValue<string>();
        var shown = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, $"api/poison/{id}")).Content.ReadAsStringAsync())!;
        Assert.Equal("poison-fix-1", JsonNode.Parse(shown["document"]!.GetValue<string>())!["id"]!.GetValue<string>());

        // Still invalid: the message stays, and the answer says why.
        var refused = await host.SendAsync(HttpMethod.Post, $"api/poison/{id}/redrive");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(["input.mask_video_url", "parameters.mask_type"], Paths(JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["errors"]));
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, $"api/poison/{id}")).StatusCode);

        // The CLI sends the corrected file in its place: it leaves the poison queue and runs.
        var fixedFile = Path.Combine(_temp.FullName, "fixed.json");
        await File.WriteAllTextAsync(fixedFile, host.Sample("video_edit", "poison-fix-1").ToJsonString());
        var redriven = await VaceProcess.RunAsync("poison", "redrive", id, "--file", fixedFile, "--url", Url, "--api-key", HttpHostFixture.Key);

        Assert.True(redriven.ExitCode == 0, redriven.Output + redriven.Error);
        Assert.Contains("job poison-fix-1 is back on the jobs queue", redriven.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, $"api/poison/{id}")).StatusCode);
        var result = await HostTestSupport.WaitForJobAsync(host.Host.Services, "poison-fix-1");
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
    }

    [Fact]
    public async Task RedriveWithAStillInvalidFile_KeepsTheMessage_AndTheCliPrintsWhy()
    {
        await SendToQueueAsync(Invalid("poison-keep-1").ToJsonString());
        var id = (await WaitForPoisonAsync("poison-keep-1"))["id"]!.GetValue<string>();
        var stillBad = Path.Combine(_temp.FullName, "still-bad.json");
        var document = Invalid("poison-keep-1");
        document["input"]!.AsObject().Remove("mask_video_url");
        await File.WriteAllTextAsync(stillBad, document.ToJsonString());

        var (exitCode, _, error) = await VaceProcess.RunAsync("poison", "redrive", id, "--file", stillBad, "--url", Url, "--api-key", HttpHostFixture.Key);

        Assert.Equal(1, exitCode);
        Assert.Contains("still invalid", error, StringComparison.Ordinal);
        Assert.Contains("parameters.mask_type", error, StringComparison.Ordinal);
        Assert.DoesNotContain("input.mask_video_url", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, $"api/poison/{id}")).StatusCode);
    }

    [Fact]
    public async Task MessagePoisonedWithoutARecord_IsListedAsFailed_AndRedrivenAsItIs_RunsItsJob()
    {
        // What a message that failed five times looks like: a valid document in the poison queue, no rejection record.
        await Poison.CreateIfNotExistsAsync();
        await Poison.SendMessageAsync(host.Sample("video_outpainting", "poison-failed-1").ToJsonString());
        var listed = await WaitForPoisonAsync("poison-failed-1");

        Assert.Equal("failed", listed["reason"]!.GetValue<string>());
        Assert.Empty(listed["errors"]!.AsArray());
        var redriven = await host.SendAsync(HttpMethod.Post, $"api/poison/{listed["id"]!.GetValue<string>()}/redrive");
        Assert.Equal(HttpStatusCode.Accepted, redriven.StatusCode);
        Assert.True((await HostTestSupport.WaitForJobAsync(host.Host.Services, "poison-failed-1")).Succeeded);
    }

    [Fact]
    public async Task Delete_RemovesAMessageBehindTheFrontThatListCannotSee_AndLeavesTheOthersVisible()
    {
        await Poison.CreateIfNotExistsAsync();
        for (var i = 0; i < 40; i++)
        {
            await Poison.SendMessageAsync($"{{\"id\": \"poison-filler-{i}\"}}");
        }

        var id = (await Poison.SendMessageAsync(Invalid("poison-delete-1").ToJsonString())).Value.MessageId;
        try
        {
            var shown = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, $"api/poison/{id}")).Content.ReadAsStringAsync())!;
            Assert.Equal("poison-delete-1", shown["jobId"]!.GetValue<string>());

            var (exitCode, output, error) = await VaceProcess.RunAsync("poison", "delete", id, "--url", Url, "--api-key", HttpHostFixture.Key);

            Assert.True(exitCode == 0, output + error);
            Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Delete, $"api/poison/{id}")).StatusCode);

            // The messages the searches passed are visible again at once, not hidden for the search's 30 s.
            Assert.Equal(32, (await Poison.PeekMessagesAsync(32)).Value.Length);
            var listing = await VaceProcess.RunAsync("poison", "list", "--url", Url, "--api-key", HttpHostFixture.Key);
            Assert.Equal(0, listing.ExitCode);
            Assert.Equal(32, JsonNode.Parse(listing.Output)!.AsArray().Count);
            Assert.Contains("Showing 32 of about", listing.Error, StringComparison.Ordinal);
        }
        finally
        {
            // The other tests of this class find their messages at the front.
            await ClearFillersAsync();
        }
    }

    [Fact]
    public async Task PoisonRoutes_NeedAKeyFromAnotherMachine()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.SendAsync(HttpMethod.Get, "api/poison", key: null, header: HttpHostFixture.Proxied)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await host.SendAsync(HttpMethod.Post, "api/poison/x/redrive", key: "wrong", header: HttpHostFixture.Proxied)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, "api/poison", header: HttpHostFixture.Proxied)).StatusCode);
    }

    /// <summary>Sends to the jobs queue, which the host's listener may not have created yet.</summary>
    private async Task SendToQueueAsync(string text)
    {
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync(text);
    }

    private QueueServiceClient Queues => new(host.Host.Services.GetRequiredService<IConfiguration>()["AzureWebJobsStorage"]);

    private QueueClient Queue => Queues.GetQueueClient(Options.Name);

    private QueueClient Poison => Queues.GetQueueClient(Options.PoisonName);

    private QueueIntakeOptions Options => host.Host.Services.GetRequiredService<IOptions<QueueIntakeOptions>>().Value;

    /// <summary>A video_edit document with two errors: both masks, and an unknown mask type.</summary>
    private JsonObject Invalid(string id)
    {
        var document = host.Sample("video_edit", id);
        document["input"]!["mask_video_url"] = "https://example.com/mask.mp4";
        document["parameters"]!["mask_type"] = "follow";
        return document;
    }

    private static string[] Paths(JsonNode? issues) => [.. issues!.AsArray().Select(e => e!["path"]!.GetValue<string>()).Order()];

    private async Task ClearFillersAsync()
    {
        var others = new List<Azure.Storage.Queues.Models.QueueMessage>();
        while ((await Poison.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value is { Length: > 0 } batch)
        {
            foreach (var message in batch)
            {
                if (message.MessageText.Contains("poison-filler-", StringComparison.Ordinal))
                {
                    await Poison.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                else
                {
                    others.Add(message);
                }
            }
        }

        foreach (var message in others)
        {
            await Poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        }
    }

    /// <summary>Waits until the listing shows the job's message; returns its entry.</summary>
    private async Task<JsonNode> WaitForPoisonAsync(string jobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var listing = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/poison")).Content.ReadAsStringAsync())!;
            if (listing["messages"]!.AsArray().FirstOrDefault(m => m!["jobId"]!.GetValue<string>() == jobId) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{jobId} never listed");
            await Task.Delay(200);
        }
    }
}
