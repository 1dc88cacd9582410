using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Output;
using Xunit.Abstractions;

namespace VaceFunctions.Local.Tests.Batches;

/// <summary>Batches through the embedded host's HTTP API, on Azurite and the simulator.</summary>
public sealed class BatchesHttpApiTests(BatchHostFixture host, ITestOutputHelper output) : IClassFixture<BatchHostFixture>
{
    private static readonly string SampleSha256 = Convert.ToHexStringLower(SHA256.HashData(SampleVideo.Bytes.Span));

    [Fact]
    public async Task PostBatch_WithAnInvalidLine_RunsTheOthers_AndWritesResultsInInputOrder()
    {
        var invalid = host.Sample("video_edit", "b1-bad");
        invalid["input"]!["mask_video_url"] = "https://example.com/m.mp4";
        var lines = new[]
        {
            """{"batch": {"id": "b1", "metadata": {"campaign": "spring"}}}""",
            host.Sample("video_outpainting", "b1-a").ToJsonString(),
            host.Sample("video_outpainting", null).ToJsonString(),
            "",
            invalid.ToJsonString(),
            host.Sample("video_outpainting", "b1-c").ToJsonString(),
            host.Sample("video_outpainting", "b1-d").ToJsonString(),
            host.Sample("video_outpainting", "b1-e").ToJsonString(),
        };

        var response = await PostAsync(string.Join('\n', lines) + "\n");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/api/batches/b1", response.Headers.Location!.ToString());
        var accepted = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((6, 5), (accepted["lines"]!.GetValue<int>(), accepted["accepted"]!.GetValue<int>()));
        var rejected = Assert.Single(accepted["rejected"]!.AsArray())!;
        Assert.Equal((5, "b1-bad"), (rejected["line"]!.GetValue<int>(), rejected["jobId"]!.GetValue<string>()));
        Assert.Contains(rejected["errors"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "input.mask_video_url");

        var ended = await WaitEndedAsync("b1");
        Assert.Equal(5, ended["counts"]!["succeeded"]!.GetValue<int>());
        Assert.Equal(1, ended["counts"]!["rejected"]!.GetValue<int>());
        Assert.NotNull(ended["endedAt"]);

        // The job without an id got the batch's id and its line number; it is an ordinary job.
        var job = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/jobs/b1-00003")).Content.ReadAsStringAsync())!;
        Assert.True(job["result"]!["succeeded"]!.GetValue<bool>());

        var outputContainer = new BlobServiceClient(host.Settings["AzureWebJobsStorage"]).GetBlobContainerClient(host.Settings["Vace:OutputContainer"]);
        var results = (await outputContainer.GetBlobClient("batches/b1/results.jsonl").DownloadContentAsync()).Value.Content
            .ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([2, 3, 5, 6, 7, 8], results.Select(r => r!["line"]!.GetValue<int>()));
        Assert.Equal(["b1-a", "b1-00003", "b1-bad", "b1-c", "b1-d", "b1-e"], results.Select(r => r!["job_id"]!.GetValue<string>()));
        Assert.Equal("Rejected", results[2]["outcome"]!.GetValue<string>());
        Assert.Contains("input.mask_video_url", results[2]["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(results.Where(r => r["outcome"]!.GetValue<string>() != "Rejected"), r =>
        {
            Assert.Equal("Succeeded", r["outcome"]!.GetValue<string>());
            Assert.Equal(SampleSha256, r["sha256"]!.GetValue<string>());
            Assert.EndsWith($"/{r["job_id"]!.GetValue<string>()}/output.mp4", r["output_url"]!.GetValue<string>(), StringComparison.Ordinal);
        });
        var summary = JsonNode.Parse((await outputContainer.GetBlobClient("batches/b1/summary.json").DownloadContentAsync())
            .Value.Content.ToString())!;
        Assert.Equal(5, summary["counts"]!["succeeded"]!.GetValue<int>());

        // The same batch id again starts nothing new.
        var again = JsonNode.Parse(await (await PostAsync(string.Join('\n', lines))).Content.ReadAsStringAsync())!;
        Assert.False(again["created"]!.GetValue<bool>());

        // Its history stays bounded: the batch continued as new after every two pages and every follow.
        var (rows, executions, largest) = await HistoryAsync("batch:b1");
        output.WriteLine($"batch b1 (6 lines): {rows} history rows kept, {executions} execution(s), largest {largest} rows");
        Assert.True(largest <= 40, $"the largest execution kept {largest} history rows");

        var listed = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/batches")).Content.ReadAsStringAsync())!;
        Assert.Contains(listed.AsArray(), b => b!["id"]!.GetValue<string>() == "b1");
        var jobs = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/jobs")).Content.ReadAsStringAsync())!;
        Assert.DoesNotContain(jobs.AsArray(), j => j!["id"]!.GetValue<string>().StartsWith("batch:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostBatch_AsJsonArray_RunsEveryDocument()
    {
        var array = new JsonArray(
            JsonNode.Parse("""{"batch": {"id": "b2"}}"""), host.Sample("video_outpainting", "b2-a"), host.Sample("video_outpainting", "b2-b"));

        var response = await host.SendAsync(HttpMethod.Post, "api/batches", array.ToJsonString());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ended = await WaitEndedAsync("b2");
        Assert.Equal(2, ended["counts"]!["succeeded"]!.GetValue<int>());
    }

    [Fact]
    public async Task PostBatch_BeyondTheLimitsOrUnreadable_IsRefusedWhole()
    {
        var line = host.Sample("video_outpainting", null).ToJsonString();
        var tooMany = string.Join('\n', Enumerable.Range(0, BatchHostFixture.MaxLines + 1).Select(i => line.Replace(
            "\"input\"", $"\"id\":\"many-{i}\",\"input\"", StringComparison.Ordinal)));
        var tooLarge = string.Join('\n', Enumerable.Repeat(line, 65536 / line.Length + 1));

        var many = await PostAsync(tooMany);
        var large = await PostAsync(tooLarge);
        var unreadable = await PostAsync("[ {\"id\": \"x\"} ");
        var plain = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/batches")
        {
            Content = new StringContent(line, Encoding.UTF8, "text/plain"),
            Headers = { { "x-api-key", BatchHostFixture.Key } },
        });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, many.StatusCode);
        Assert.Contains("at most 40", await many.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Contains("at most 64 KB", await large.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/many-0")).StatusCode);

        // All or nothing: one invalid line refuses the batch, every rejected line named, and nothing starts.
        var strict = await PostAsync(string.Join('\n', "{\"batch\":{\"id\":\"strict\",\"all_or_nothing\":true}}",
            host.Sample("video_outpainting", "strict-a").ToJsonString(), "{\"input\":{}}"));
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        var problem = JsonNode.Parse(await strict.Content.ReadAsStringAsync())!;
        Assert.Equal(3, problem["rejected"]!.AsArray().Single()!["line"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/batches/strict")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/strict-a")).StatusCode);
    }

    [Fact]
    public async Task CancelBatch_MidBatch_LeavesNoJobWaiting()
    {
        var lines = Enumerable.Range(1, 30).Select(i => host.Sample("video_outpainting", $"b3-{i:D2}").ToJsonString());
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("{\"batch\":{\"id\":\"b3\"}}\n" + string.Join('\n', lines))).StatusCode);

        var cancel = await host.SendAsync(HttpMethod.Post, "api/batches/b3/cancel");

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var ended = await WaitEndedAsync("b3");
        var counts = ended["counts"]!;
        Assert.True(counts["canceled"]!.GetValue<int>() > 0, ended.ToJsonString());
        Assert.Equal(30, counts["succeeded"]!.GetValue<int>() + counts["canceled"]!.GetValue<int>());
        Assert.Equal((0, 0), (counts["waiting"]!.GetValue<int>(), counts["running"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.Conflict, (await host.SendAsync(HttpMethod.Post, "api/batches/b3/cancel")).StatusCode);
    }

    /// <summary>
    /// Forty lines in pages of two, two pages an execution: the history table, sampled while the batch runs, never
    /// holds more than one execution of a few dozen rows (the backend drops an execution's rows when it continues as new).
    /// </summary>
    [Fact]
    public async Task Batch_OfFortyLines_KeepsItsHistoryBoundedWhileItRuns()
    {
        var lines = Enumerable.Range(1, BatchHostFixture.MaxLines)
            .Select(i => host.Sample("video_outpainting", $"b4-{i:D2}").ToJsonString());
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("{\"batch\":{\"id\":\"b4\"}}\n" + string.Join('\n', lines))).StatusCode);

        var (largest, mostRows, samples, mostExecutions) = (0, 0, 0, 0);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while ((await host.SendAsync(HttpMethod.Get, "api/batches/b4")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "batch b4 did not end");
            var (all, executions, rows) = await HistoryAsync("batch:b4");
            (largest, mostRows) = (Math.Max(largest, rows), Math.Max(mostRows, all));
            (samples, mostExecutions) = (samples + 1, Math.Max(mostExecutions, executions));
            await Task.Delay(50);
        }

        var ended = JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/batches/b4")).Content.ReadAsStringAsync())!;
        output.WriteLine($"batch b4 ({BatchHostFixture.MaxLines} lines): at most {mostRows} history rows in all, "
            + $"{largest} in one execution, {mostExecutions} execution(s) at once, over {samples} samples");
        Assert.Equal(BatchHostFixture.MaxLines, ended["counts"]!["succeeded"]!.GetValue<int>());
        Assert.True(samples > 0);
        Assert.True(largest <= 40, $"one execution held {largest} rows");
        Assert.True(mostRows <= 100, $"the history held {mostRows} rows");
    }

    /// <summary>
    /// A batch.jsonl in the inbox runs as a batch: a bare media name resolves beside it; a line naming a blob that is
    /// not there is rejected when it starts, with a rejection record, and counted and reported as rejected.
    /// </summary>
    [Fact]
    public async Task InboxBatchFile_RunsWithMediaBesideIt_AndReportsAMissingBlobAsRejected()
    {
        var inbox = new BlobServiceClient(host.Settings["AzureWebJobsStorage"]).GetBlobContainerClient(host.Settings["Vace:Inbox:Container"]);
        await inbox.CreateIfNotExistsAsync();
        await inbox.GetBlobClient("spring/clip.mp4").UploadAsync(new BinaryData(SampleVideo.Bytes), overwrite: true);
        var beside = host.Sample("video_outpainting", "b5-a");
        beside["input"]!["video_url"] = "clip.mp4";
        var missing = host.Sample("video_outpainting", "b5-b");
        missing["input"]!["video_url"] = "missing.mp4";
        var file = string.Join('\n', "{\"batch\":{\"id\":\"b5\"}}", beside.ToJsonString(), missing.ToJsonString());

        await inbox.GetBlobClient("spring/batch.jsonl").UploadAsync(BinaryData.FromString(file), overwrite: true);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await host.SendAsync(HttpMethod.Get, "api/batches/b5")).StatusCode == HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, "the inbox never took batch.jsonl in");
            await Task.Delay(200);
        }

        var ended = await WaitEndedAsync("b5");
        Assert.Equal((1, 1), (ended["counts"]!["succeeded"]!.GetValue<int>(), ended["counts"]!["rejected"]!.GetValue<int>()));
        var results = (await new BlobServiceClient(host.Settings["AzureWebJobsStorage"])
            .GetBlobContainerClient(host.Settings["Vace:OutputContainer"]).GetBlobClient("batches/b5/results.jsonl")
            .DownloadContentAsync()).Value.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["Succeeded", "Rejected"], results.Select(r => r["outcome"]!.GetValue<string>()));
        Assert.Equal(SampleSha256, results[0]["sha256"]!.GetValue<string>());
        Assert.Contains("missing.mp4", results[1]["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_WithACallback_PostsItsSignedSummaryOnce_WithItsMetadata()
    {
        var received = new ConcurrentQueue<(string Body, string? Signature, string? Id)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.MapPost("/hooks/batch", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            received.Enqueue((await reader.ReadToEndAsync(), request.Headers[CallbackSignature.HeaderName], request.Headers["X-Vace-Job-Id"]));
            return Results.Ok();
        });
        await receiver.StartAsync();
        var envelope = new JsonObject
        {
            ["batch"] = new JsonObject
            {
                ["id"] = "b6", ["callback_url"] = receiver.Urls.First() + "/hooks/batch", ["metadata"] = new JsonObject { ["owner"] = "ads" },
            },
        };

        await PostAsync(envelope.ToJsonString() + "\n" + host.Sample("video_outpainting", "b6-a").ToJsonString());
        var ended = await WaitEndedAsync("b6");

        Assert.Equal(200, ended["callbackStatus"]!.GetValue<int>());
        var (body, signature, id) = Assert.Single(received);
        Assert.Equal("b6", id);
        Assert.True(CallbackSignature.Verify(BatchHostFixture.CallbackSecret, signature, body, DateTimeOffset.UtcNow, CallbackSignature.DefaultWindow));
        var summary = JsonNode.Parse(body)!;
        Assert.Equal(("b6", 1, "ads"), (summary["batch_id"]!.GetValue<string>(), summary["counts"]!["succeeded"]!.GetValue<int>(),
            summary["metadata"]!["owner"]!.GetValue<string>()));
    }

    [Fact]
    public async Task GetBatch_Unknown_Is404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/batches/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Post, "api/batches/nope/cancel")).StatusCode);
    }

    private async Task<HttpResponseMessage> PostAsync(string jsonLines)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/batches")
        {
            Content = new StringContent(jsonLines, Encoding.UTF8, "application/x-ndjson"),
        };
        request.Headers.Add("x-api-key", BatchHostFixture.Key);
        return await host.Http.SendAsync(request);
    }

    private async Task<JsonNode> WaitEndedAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var response = await host.SendAsync(HttpMethod.Get, $"api/batches/{id}");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("ended", body["state"]!.GetValue<string>());
                return body;
            }

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, $"batch {id} did not end: {body.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    /// <summary>The rows the task hub's History table keeps of an instance: all, how many executions, the largest one.</summary>
    private async Task<(int Rows, int Executions, int Largest)> HistoryAsync(string instanceId)
    {
        var table = new TableClient(host.Settings["AzureWebJobsStorage"], host.Settings["Durable:TaskHub"] + "History");
        var byExecution = new Dictionary<string, int>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId))
        {
            var execution = row.GetString("ExecutionId") ?? "";
            byExecution[execution] = byExecution.GetValueOrDefault(execution) + 1;
        }

        return (byExecution.Values.Sum(), byExecution.Count, byExecution.Values.DefaultIfEmpty(0).Max());
    }
}
