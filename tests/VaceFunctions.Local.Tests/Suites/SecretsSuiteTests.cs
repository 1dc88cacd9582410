using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests.Suites;

/// <summary>
/// Secrets never reach logs, telemetry or the task hub: a real <c>vace serve</c> run with every log category at Trace
/// and its traces and metrics written to the console, a real-looking API key, and jobs whose media are signed with SAS
/// (blob inbox) and whose results come back on signed URLs; the whole output, and everything the Durable Task engine
/// keeps (its History and Instances tables, its large-message blobs), is searched for the key and for any signature.
/// </summary>
public sealed class SecretsSuiteTests
{
    [Fact]
    public async Task FullRun_AtTraceWithTelemetry_WritesNeitherTheApiKeyNorAnySignature()
    {
        var apiKey = "sk-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.ApiKey = apiKey;
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
        });
        var settings = await HostTestSupport.SettingsAsync(simulator);
        settings["DashScope:ApiKey"] = apiKey;
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        settings["Logging:LogLevel:System.Net.Http.HttpClient"] = "Trace";
        settings["Logging:LogLevel:DurableTask"] = "Trace";
        settings["Vace:Telemetry:Console"] = "true";
        var port = HostProcess.FreePort();

        var blobs = new BlobServiceClient(settings["AzureWebJobsStorage"]);
        var inbox = blobs.GetBlobContainerClient(settings["Vace:Inbox:Container"]);
        await inbox.CreateIfNotExistsAsync();
        await inbox.GetBlobClient("secret/clip.mp4").UploadAsync(BinaryData.FromBytes(SampleVideo.Input("sample-input.mp4")!.Value.Bytes));
        await inbox.GetBlobClient("secret/mask.png").UploadAsync(BinaryData.FromBytes(SampleVideo.Input("sample-image.png")!.Value.Bytes));
        var fromInbox = SampleDocuments.Load("video_edit");
        fromInbox["id"] = "secret-inbox";
        fromInbox["input"]!["video_url"] = "clip.mp4";
        fromInbox["input"]!["mask_image_url"] = "mask.png";
        var overHttp = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_outpainting"), simulator.BaseUrl);
        overHttp["id"] = "secret-http";

        // An unknown field, passed to the service unchanged, large enough that the engine keeps this job's input and
        // messages as large-message blobs: they are searched too.
        overHttp["x_padding"] = new string('p', 100 * 1024);

        string output;
        var taskIds = new List<string>();
        var manifests = blobs.GetBlobContainerClient(settings["Vace:OutputContainer"]);
        using (var host = HostProcess.Start(port, settings))
        {
            await host.WaitUntilServingAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/") };
            await inbox.GetBlobClient("secret/job.json").UploadAsync(BinaryData.FromString(fromInbox.ToJsonString()));
            Assert.True((await http.PostAsJsonAsync("api/jobs", overHttp)).IsSuccessStatusCode);

            foreach (var id in new[] { "secret-inbox", "secret-http" })
            {
                var status = await WaitForEndAsync(http, id);
                Assert.True(status["outcome"]?.GetValue<string>() == "Succeeded", status.ToJsonString());

                // The answer itself carries a signed read URL of the owned video: the one place a signature belongs.
                Assert.Contains("sig=", status["outputUrl"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.DoesNotContain("Signature=", status.ToJsonString(), StringComparison.OrdinalIgnoreCase);
                taskIds.Add(status["result"]!["taskId"]!.GetValue<string>());

                // So does the DashScope-compatible face: its video_url is the owned blob's, never the service's.
                var task = JsonNode.Parse(await http.GetStringAsync($"api/v1/tasks/{id}"))!["output"]!;
                var videoUrl = task["video_url"]!.GetValue<string>();
                Assert.StartsWith(manifests.Uri.ToString() + "/", videoUrl, StringComparison.Ordinal);
                Assert.Contains("sig=", videoUrl, StringComparison.Ordinal);
                Assert.DoesNotContain("Signature=", task.ToJsonString(), StringComparison.OrdinalIgnoreCase);
            }

            // A metric export after the jobs, then the host stops (flushing what it still holds).
            await Task.Delay(TimeSpan.FromSeconds(2));
            output = string.Join('\n', host.Output) + '\n' + string.Join('\n', host.Errors);
        }

        Assert.Contains("secret-inbox", output, StringComparison.Ordinal);
        Assert.Contains("vace.manifest", output, StringComparison.Ordinal);

        // The output is the whole run at Trace: the DashScope calls with their (redacted) headers, and the signed
        // fetches of the inbox media, their query (the SAS) redacted.
        Assert.Contains("Authorization: *", output, StringComparison.Ordinal);
        Assert.Contains("secret/clip.mp4?*", output, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey[3..], output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("sig=", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Signature=", output, StringComparison.Ordinal);

        // The manifests record owned URLs, never signed ones.
        foreach (var id in new[] { "secret-inbox", "secret-http" })
        {
            var manifest = (await manifests.GetBlobClient($"{id}/result.json").DownloadContentAsync()).Value.Content.ToString();
            Assert.DoesNotContain("sig=", manifest, StringComparison.Ordinal);
            Assert.DoesNotContain("Signature=", manifest, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(apiKey, manifest, StringComparison.Ordinal);
        }

        // The task hub keeps every activity's input and output, and each job's input, custom status and output, for as
        // long as the instance is kept: the signed result URLs (the simulator's carry Signature=, as the service's do)
        // and the input SAS must never be among them.
        var kept = await TaskHubRecordsAsync(settings["AzureWebJobsStorage"]!, settings["Durable:TaskHub"]!);
        var history = string.Join('\n', kept.Where(r => r.Where == "History").Select(r => r.Text));
        foreach (var taskId in taskIds)
        {
            Assert.Contains(taskId, history, StringComparison.Ordinal);
        }

        Assert.Contains("PollTask", history, StringComparison.Ordinal);
        Assert.Contains("CopyOutput", history, StringComparison.Ordinal);
        Assert.Contains(kept, r => r.Where == "Instances" && r.Text.Contains("secret-inbox", StringComparison.Ordinal));
        Assert.Contains(kept, r => r.Where.StartsWith("largemessages/", StringComparison.Ordinal) && r.Text.Contains("x_padding", StringComparison.Ordinal));
        foreach (var (where, text) in kept)
        {
            Assert.False(text.Contains(apiKey[3..], StringComparison.OrdinalIgnoreCase), $"{where} holds the API key");
            Assert.False(text.Contains("Signature=", StringComparison.OrdinalIgnoreCase), $"{where} holds a signed URL: {Around(text, "Signature=")}");
            Assert.False(text.Contains("sig=", StringComparison.OrdinalIgnoreCase), $"{where} holds a SAS: {Around(text, "sig=")}");
        }
    }

    /// <summary>
    /// What the Durable Task Azure Storage backend keeps of a task hub: each entity of its <c>{hub}History</c> and
    /// <c>{hub}Instances</c> tables, and each blob of its <c>{hub}-largemessages</c> container (gzipped), as text with
    /// the escapes of JSON and URLs undone, so that an escaped <c>=</c> or <c>&amp;</c> hides nothing.
    /// </summary>
    private static async Task<List<(string Where, string Text)>> TaskHubRecordsAsync(string storage, string hub)
    {
        var records = new List<(string, string)>();
        foreach (var table in new[] { "History", "Instances" })
        {
            var client = new TableClient(storage, hub + table);
            await foreach (var entity in client.QueryAsync<TableEntity>())
            {
                var values = entity.Select(p => p.Value switch
                {
                    byte[] bytes => Encoding.UTF8.GetString(bytes),
                    BinaryData data => data.ToString(),
                    var value => Convert.ToString(value, CultureInfo.InvariantCulture),
                });
                records.Add((table, Unescaped(string.Join('\n', values))));
            }
        }

        var messages = new BlobServiceClient(storage).GetBlobContainerClient(hub.ToLowerInvariant() + "-largemessages");
        if (await messages.ExistsAsync())
        {
            await foreach (var blob in messages.GetBlobsAsync())
            {
                var content = (await messages.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
                if (content is [0x1f, 0x8b, ..])
                {
                    using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
                    using var plain = new MemoryStream();
                    await gzip.CopyToAsync(plain);
                    content = plain.ToArray();
                }

                records.Add(($"largemessages/{blob.Name}", Unescaped(Encoding.UTF8.GetString(content))));
            }
        }

        Assert.Contains(records, r => r.Item1 == "History");
        Assert.Contains(records, r => r.Item1 == "Instances");
        return records;
    }

    /// <summary>JSON's \uXXXX escapes and URLs' %XX escapes undone.</summary>
    private static string Unescaped(string text) => Uri.UnescapeDataString(
        Regex.Replace(text, @"\\u([0-9a-fA-F]{4})", m => ((char)int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString()));

    /// <summary>A little of <paramref name="text"/> around <paramref name="found"/>, to say where it was.</summary>
    private static string Around(string text, string found)
    {
        var at = text.IndexOf(found, StringComparison.OrdinalIgnoreCase);
        return at < 0 ? "" : text[Math.Max(0, at - 120)..Math.Min(text.Length, at + 40)];
    }

    private static async Task<JsonNode> WaitForEndAsync(HttpClient http, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            using var response = await http.GetAsync($"api/jobs/{id}");
            if (response.StatusCode == System.Net.HttpStatusCode.OK)
            {
                return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{id} did not end within 2 min: {(int)response.StatusCode}");
            await Task.Delay(250);
        }
    }
}
