using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Suites;

/// <summary>
/// The bad-input suite (issue 16): a generated corpus (<see cref="BadInputCorpus"/>) through the queue, the blob inbox
/// and HTTP, a good job after every few bad documents. Every bad document is rejected with a record saying which rule
/// it broke — a rejection record, a 400/413 answer, or, for media the host may not fetch, a job failed InvalidInput
/// before anything was submitted; nothing is retried forever (each queue message is poisoned once); the host keeps
/// serving and every good job succeeds. <c>VACE_FULL_SUITES=1</c> runs 10 rounds of the corpus instead of 1.
/// </summary>
public sealed class BadInputSuiteTests : IAsyncLifetime
{
    /// <summary>A good job follows every this many bad documents, and one ends each channel's run.</summary>
    private const int GoodEvery = 6;

    private static readonly int Rounds = SuiteSize.Pick(1, 10);

    private RunningSimulator _simulator = null!;
    private WebApplication _redirects = null!;
    private WebApplication _host = null!;
    private Dictionary<string, string?> _settings = null!;
    private BlobContainerClient _output = null!;
    private BadInputCorpus _corpus = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });

        // A server on this machine whose media URLs redirect to addresses the host may never fetch.
        _redirects = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"]).Build();
        _redirects.MapGet("/to-metadata/{name}", (string name) => Results.Redirect("http://169.254.169.254/latest/meta-data/" + name));
        _redirects.MapGet("/to-private/{name}", (string name) => Results.Redirect("http://10.1.2.3/" + name));
        await _redirects.StartAsync();

        _settings = await HostTestSupport.SettingsAsync(_simulator);
        _settings["Vace:MaxConcurrentTasks"] = "20";
        _settings["Vace:SubmissionsPerSecond"] = "20";
        _settings["Vace:Http:JobsPerMinute"] = "0";

        // The redirecting server is on loopback; the addresses it redirects to stay refused.
        _settings["Vace:AllowLoopbackUrls"] = "true";
        _host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], _settings);
        await _host.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_host.Urls.First() + "/") };
        _output = new BlobServiceClient(_settings["AzureWebJobsStorage"]).GetBlobContainerClient(_settings["Vace:OutputContainer"]);
        _corpus = new BadInputCorpus(_simulator.BaseUrl, new Uri(_redirects.Urls.First() + "/"));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _redirects.StopAsync();
        await _redirects.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Queue_RejectsEveryBadDocumentWithARecordAndPoisonsItOnce_WhileGoodJobsSucceed()
    {
        var queues = new QueueServiceClient(_settings["AzureWebJobsStorage"]);
        var queue = queues.GetQueueClient(_settings["Vace:Queue:Name"]);
        var poison = queues.GetQueueClient(_settings["Vace:Queue:Name"] + "-poison");
        await queue.CreateIfNotExistsAsync();
        var cases = _corpus.Generate(IntakeChannel.Queue, Rounds).ToList();

        var good = await SendInterleavedAsync(IntakeChannel.Queue, cases, async bytes =>
        {
            // Text the queue can carry goes as it is; invalid UTF-8 only fits as base64, as the Functions trigger writes.
            var text = IsUtf8(bytes) ? Encoding.UTF8.GetString(bytes) : Convert.ToBase64String(bytes);
            await queue.SendMessageAsync(text);
            return text;
        });

        await AssertOutcomesAsync(IntakeChannel.Queue, cases, good);
        await AssertQueueDrainedAsync(queue, poison, cases.Where(c => c.Stage == RejectedAt.Intake).Select(c => c.Body).ToList());
    }

    [Fact]
    public async Task BlobInbox_RejectsEveryBadJobFileWithARecord_WhileGoodJobsSucceed()
    {
        var inbox = new BlobServiceClient(_settings["AzureWebJobsStorage"]).GetBlobContainerClient(_settings["Vace:Inbox:Container"]);
        await inbox.CreateIfNotExistsAsync();
        var cases = _corpus.Generate(IntakeChannel.Blob, Rounds).ToList();
        var folder = 0;

        var good = await SendInterleavedAsync(IntakeChannel.Blob, cases, async bytes =>
        {
            await inbox.GetBlobClient($"drop-{folder++:D4}/job.json").UploadAsync(BinaryData.FromBytes(bytes));
            return null;
        });

        await AssertOutcomesAsync(IntakeChannel.Blob, cases, good);
    }

    [Fact]
    public async Task Http_AnswersEveryBadDocumentWith400Or413NamingTheRule_OnBothFaces_WhileGoodJobsSucceed()
    {
        var cases = _corpus.Generate(IntakeChannel.Http, Rounds).ToList();
        var answers = new Dictionary<BadInputCase, (HttpStatusCode Status, JsonNode? Body)>();
        var index = 0;

        var good = await SendInterleavedAsync(IntakeChannel.Http, cases, async bytes =>
        {
            var entry = cases[index++];
            using var response = await PostAsync("api/jobs", bytes);
            answers[entry] = (response.StatusCode, await ReadJsonAsync(response));
            return null;
        });

        foreach (var entry in cases.Where(c => c.Stage == RejectedAt.Intake))
        {
            var (status, body) = answers[entry];
            if (entry.Code == Orchestrations.Jobs.JobIssueCodes.DocumentTooLarge)
            {
                Assert.True(status == HttpStatusCode.RequestEntityTooLarge, $"{entry}: {status}");
                Assert.Contains($"at most {Orchestrations.Jobs.JobDocumentReader.MaxDocumentBytes / 1024} KB", body!["title"]!.GetValue<string>(), StringComparison.Ordinal);
                continue;
            }

            Assert.True(status == HttpStatusCode.BadRequest, $"{entry}: {status} {body}");
            AssertNamesTheRule(entry, body!["errors"]!.AsArray());

            // The DashScope-compatible face refuses it too, in the service's error shape, naming the field.
            using var face = await PostAsync("api/v1/services/aigc/video-generation/video-synthesis", entry.Body, dashScope: true);
            var error = await ReadJsonAsync(face);
            Assert.True(face.StatusCode == HttpStatusCode.BadRequest, $"{entry} on the face: {face.StatusCode} {error}");
            Assert.Equal("InvalidParameter", error!["code"]!.GetValue<string>());
            Assert.Contains(entry.Path + ":", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        foreach (var entry in cases.Where(c => c.Stage == RejectedAt.Probe))
        {
            Assert.True(answers[entry].Status == HttpStatusCode.Accepted, $"{entry}: {answers[entry].Status}");
        }

        await AssertOutcomesAsync(IntakeChannel.Http, cases, good);
    }

    /// <summary>Sends the corpus through a channel, a good job after every <see cref="GoodEvery"/> bad documents and one at the end; returns the good jobs' ids.</summary>
    private async Task<List<string>> SendInterleavedAsync(IntakeChannel channel, List<BadInputCase> cases, Func<byte[], Task<string?>> send)
    {
        var good = new List<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            await send(cases[i].Body);
            if ((i + 1) % GoodEvery == 0 || i == cases.Count - 1)
            {
                var id = $"{channel.ToString().ToLowerInvariant()}-good-{good.Count}";
                var document = Encoding.UTF8.GetBytes(_corpus.Good(id).ToJsonString());
                if (channel == IntakeChannel.Http)
                {
                    using var response = await PostAsync("api/jobs", document);
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                }
                else
                {
                    await send(document);
                }

                good.Add(id);
            }
        }

        return good;
    }

    /// <summary>
    /// Every bad document has its record naming the rule it broke, nothing bad reached the service, every good job
    /// succeeded, and the host still answers.
    /// </summary>
    private async Task AssertOutcomesAsync(IntakeChannel channel, List<BadInputCase> cases, List<string> good)
    {
        foreach (var id in good)
        {
            var result = await HostTestSupport.WaitForJobAsync(_host.Services, id);
            Assert.True(result.Succeeded, $"good job {id}: {result.ErrorCode} {result.ErrorMessage}");
        }

        foreach (var entry in cases)
        {
            if (entry.Stage == RejectedAt.Probe)
            {
                var result = await HostTestSupport.WaitForJobAsync(_host.Services, entry.JobId);
                Assert.False(result.Succeeded, entry.ToString());
                Assert.Equal(VaceJobErrorCodes.InvalidInput, result.ErrorCode);
                Assert.Contains(entry.Path + ":", result.ErrorMessage, StringComparison.Ordinal);
                Assert.Null(result.TaskId);
                var manifest = await HostTestSupport.WaitForJsonBlobAsync(_output.GetBlobClient($"{entry.JobId}/result.json"));
                Assert.Equal(VaceJobErrorCodes.InvalidInput, manifest["result"]!["errorCode"]!.GetValue<string>());
            }
            else if (channel != IntakeChannel.Http)
            {
                var record = await HostTestSupport.WaitForJsonBlobAsync(_output.GetBlobClient($"{entry.JobId}/result.json"));
                Assert.False(record["succeeded"]!.GetValue<bool>(), entry.ToString());
                Assert.Equal(VaceJobErrorCodes.InvalidInput, record["errorCode"]!.GetValue<string>());
                AssertNamesTheRule(entry, record["errors"]!.AsArray());
            }
        }

        // Only the good jobs were ever submitted, each once.
        var counters = _simulator.State.Counters();
        Assert.Equal(good.Count, counters.Submissions);
        Assert.Equal(good.Count, counters.TasksByBody.Count);
        Assert.All(counters.TasksByBody.Values, count => Assert.Equal(1, count));

        using var list = await _http.GetAsync("api/jobs?top=1");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    private static void AssertNamesTheRule(BadInputCase entry, JsonArray errors)
    {
        var found = errors.Select(e => (Code: e!["code"]!.GetValue<string>(), Path: e["path"]!.GetValue<string>())).ToList();
        Assert.True(found.Contains((entry.Code, entry.Path)), $"{entry}: errors were {string.Join(", ", found)}");
    }

    /// <summary>The main queue empties and every rejected message reaches the poison queue exactly once.</summary>
    private static async Task AssertQueueDrainedAsync(QueueClient queue, QueueClient poison, List<byte[]> rejected)
    {
        var poisoned = new List<string>();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (poisoned.Count < rejected.Count || (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"queue not drained: {poisoned.Count} of {rejected.Count} poisoned");
            foreach (var message in (await poison.ReceiveMessagesAsync(32)).Value)
            {
                poisoned.Add(message.MessageText);
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }

            await Task.Delay(100);
        }

        // Nothing arrives twice, however long one waits.
        await Task.Delay(TimeSpan.FromSeconds(2));
        poisoned.AddRange((await poison.ReceiveMessagesAsync(32)).Value.Select(m => m.MessageText));
        var expected = rejected.Select(b => IsUtf8(b) ? Encoding.UTF8.GetString(b) : Convert.ToBase64String(b)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, poisoned.Order(StringComparer.Ordinal));
    }

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body, bool dashScope = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        // Without waiting for 100-continue (HttpClient's default): even a 10 MB body is sent whole and its 413 read.
        request.Headers.ExpectContinue = false;
        if (dashScope)
        {
            request.Headers.Add("X-DashScope-Async", "enable");
        }

        return await _http.SendAsync(request);
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private static bool IsUtf8(byte[] bytes)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
