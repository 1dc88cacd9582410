using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Hosting;

/// <summary>
/// The local default as a new user meets it: storage given, no DashScope key, so the host starts the simulator with
/// the settings <see cref="DevelopmentServices"/> hands over, as <c>vace serve</c> does — among them the substitution
/// of the simulator's sample media for the documented ones, so the documented requests run offline, unchanged.
/// </summary>
public sealed class DevelopmentServicesTests
{
    [Fact]
    public async Task ServeWithTheSimulator_RunsTheSample_WhileJobsNamingAnotherLoopbackServiceNeverReachIt()
    {
        await using var bait = RawHttpServer.Start();
        await using var development = await StartDevelopmentServicesAsync();
        var simulator = development.Simulator!;
        await using var host = await StartServeLikeHostAsync(development);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.First() + "/") };

        var sample = await SubmitAsync(http, Sample(simulator.BaseUrl, "serve-sample"));
        var media = new List<string>();
        var callbacks = new List<string>();
        for (var i = 0; i < LoopbackSpellings.Urls.Length; i++)
        {
            var url = string.Format(CultureInfo.InvariantCulture, LoopbackSpellings.Urls[i], bait.Port);
            var asMedia = Sample(simulator.BaseUrl, $"bait-media-{i}");
            asMedia["input"]!["video_url"] = url;
            media.Add(await SubmitAsync(http, asMedia));

            // A callback must be https to pass validation; the guard then refuses the address when connecting.
            var asCallback = Sample(simulator.BaseUrl, $"bait-callback-{i}");
            asCallback["callback_url"] = "https://" + url["http://".Length..];
            callbacks.Add(await SubmitAsync(http, asCallback));
        }

        var plainCallback = Sample(simulator.BaseUrl, "bait-callback-http");
        plainCallback["callback_url"] = string.Format(CultureInfo.InvariantCulture, LoopbackSpellings.Urls[0], bait.Port);
        using (var refused = await http.PostAsync("api/jobs", new StringContent(plainCallback.ToJsonString(), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        var sampleResult = await HostTestSupport.WaitForJobAsync(host.Services, sample);
        var mediaResults = await Task.WhenAll(media.Select(id => HostTestSupport.WaitForJobAsync(host.Services, id)));
        var callbackResults = await Task.WhenAll(callbacks.Select(id => HostTestSupport.WaitForJobAsync(host.Services, id)));

        Assert.True(sampleResult.Succeeded, $"{sampleResult.ErrorCode}: {sampleResult.ErrorMessage}");
        Assert.All(mediaResults, r => Assert.True(
            r.ErrorCode == VaceJobErrorCodes.InvalidInput && r.ErrorMessage!.Contains("Refusing to connect", StringComparison.Ordinal), $"{r.JobId}: {r.ErrorCode} {r.ErrorMessage}"));
        Assert.All(callbackResults, r => Assert.True(r.Succeeded && r.Warnings.Any(w => w.Code == "callback_failed"), $"{r.JobId}: {r.ErrorCode} {r.ErrorMessage}"));
        Assert.Equal(0, bait.Connections);
    }

    [Fact]
    public async Task ServeWithTheSimulator_RunsTheServicesOwnRequestsUnchanged_OnTheDashScopeFaceAndFromTheQueue()
    {
        await using var development = await StartDevelopmentServicesAsync();
        await using var host = await StartServeLikeHostAsync(development);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.First() + "/") };
        var requests = HostTestSupport.ReferenceRequests();
        var tasks = new List<string>();
        foreach (var request in requests)
        {
            tasks.Add(await HostTestSupport.CreateTaskAsync(http, request));
        }

        // A README sample, unchanged but for its id, from the queue: the same substitution, said in the manifest.
        var queued = SampleDocuments.Load("video_edit");
        queued["id"] = "queued-readme-sample";
        var queue = host.Services.GetRequiredService<QueueServiceClient>().GetQueueClient(host.Services.GetRequiredService<IOptions<QueueIntakeOptions>>().Value.Name);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(queued.ToJsonString());

        var outputs = host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(host.Services.GetRequiredService<IOptions<WorkflowOptions>>().Value.OutputContainer);
        foreach (var (task, request) in tasks.Zip(requests))
        {
            var output = await HostTestSupport.WaitForTaskAsync(http, task);
            Assert.True(output["task_status"]!.GetValue<string>() == "SUCCEEDED", $"{Path.GetFileName(request)}: {output.ToJsonString()}");
            Assert.StartsWith(outputs.Uri.AbsoluteUri + "/", output["video_url"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var result = await HostTestSupport.WaitForJobAsync(host.Services, "queued-readme-sample");
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        var manifest = await HostTestSupport.WaitForJsonBlobAsync(outputs.GetBlobClient(result.ManifestBlob));
        var substituted = manifest["warnings"]!.AsArray().Where(w => w!["code"]!.GetValue<string>() == JobIssueCodes.MediaSubstituted).Select(w => w!["path"]!.GetValue<string>());
        Assert.Equal(["input.mask_image_url", "input.video_url"], substituted.Order());
    }

    private static async Task<DevelopmentServices> StartDevelopmentServicesAsync()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = (await Azurite.GetAsync()).ConnectionString })
            .Build();
        return await DevelopmentServices.StartAsync(configuration, dataLocation: null, o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(200);
            o.RunningDuration = TimeSpan.FromMilliseconds(300);
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
        });
    }

    /// <summary>The test's own hub, queue, containers and short intervals; then exactly what serve adds.</summary>
    private static async Task<WebApplication> StartServeLikeHostAsync(DevelopmentServices development)
    {
        var settings = await HostTestSupport.SettingsAsync(development.Simulator!);
        settings["Vace:MaxConcurrentTasks"] = "50";
        settings["Vace:SubmissionsPerSecond"] = "50";
        foreach (var (key, value) in development.Overrides)
        {
            settings[key] = value;
        }

        var host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], settings);
        await host.StartAsync();
        return host;
    }

    private static JsonObject Sample(Uri simulator, string id)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_edit"), simulator);
        document["id"] = id;
        return document;
    }

    private static async Task<string> SubmitAsync(HttpClient http, JsonObject document)
    {
        using var response = await http.PostAsync("api/jobs", new StringContent(document.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{document["id"]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return document["id"]!.GetValue<string>();
    }
}
