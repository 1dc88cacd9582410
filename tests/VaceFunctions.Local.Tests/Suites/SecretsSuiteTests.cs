using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests.Suites;

/// <summary>
/// Secrets never reach logs or telemetry: a real <c>vace serve</c> run with every log category at Trace and its traces
/// and metrics written to the console, a real-looking API key, and jobs whose media are signed with SAS (blob inbox) and
/// whose results come back on signed URLs; the whole output is searched for the key and for any signature.
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

        string output;
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
        var manifests = blobs.GetBlobContainerClient(settings["Vace:OutputContainer"]);
        foreach (var id in new[] { "secret-inbox", "secret-http" })
        {
            var manifest = (await manifests.GetBlobClient($"{id}/result.json").DownloadContentAsync()).Value.Content.ToString();
            Assert.DoesNotContain("sig=", manifest, StringComparison.Ordinal);
            Assert.DoesNotContain(apiKey, manifest, StringComparison.Ordinal);
        }
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
