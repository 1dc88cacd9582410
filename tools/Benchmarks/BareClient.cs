using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// What a hand-written script does for one job, the yardstick of the latency and throughput benchmarks: submit the
/// request, wait <c>interval</c> before each poll until the task ends (as a script's sleep does: a grid counted to the
/// millisecond from the submission would race the task's end when the model time is a whole number of intervals), download the video
/// and upload it to a blob. No probe, no slots, no records, no hash, no retries.
/// </summary>
/// <remarks>With <c>waits</c>, the wait before poll n (1-based) is <c>waits(n)</c> instead: a pool that waits as the SDK does.</remarks>
internal sealed class BareClient(RunningSimulator simulator, BlobContainerClient container, TimeSpan interval, Func<int, TimeSpan>? waits = null) : IDisposable
{
    private readonly HttpClient _http = CreateClient(simulator);

    /// <summary>The request body every benchmark job sends: the sample document's DashScope part, on the simulator's media.</summary>
    public static JsonObject Request(RunningSimulator simulator)
    {
        var document = SampleDocuments.UseSimulatorMedia(SampleDocuments.Load("video_edit"), simulator.BaseUrl);
        return new JsonObject
        {
            [JobFields.Model] = document[JobFields.Model]!.DeepClone(),
            [JobFields.Input] = document[JobFields.Input]!.DeepClone(),
            [JobFields.Parameters] = document[JobFields.Parameters]!.DeepClone(),
        };
    }

    /// <summary>One job, start to uploaded blob; its wall time.</summary>
    public async Task<TimeSpan> RunAsync(string blobName, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var submit = new HttpRequestMessage(HttpMethod.Post, "api/v1/services/aigc/video-generation/video-synthesis")
        {
            Content = JsonContent.Create(Request(simulator)),
        };
        submit.Headers.Add(DashScopeClient.AsyncHeader, "enable");
        using var submitted = await _http.SendAsync(submit, cancellationToken);
        submitted.EnsureSuccessStatusCode();
        var taskId = (await submitted.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["output"]!["task_id"]!.GetValue<string>();
        for (var poll = 1; ; poll++)
        {
            await Task.Delay(waits?.Invoke(poll) ?? interval, cancellationToken);

            var output = (await _http.GetFromJsonAsync<JsonObject>($"api/v1/tasks/{taskId}", cancellationToken))!["output"]!;
            switch (output["task_status"]!.GetValue<string>())
            {
                case "SUCCEEDED":
                    using (var video = await _http.GetAsync(output["video_url"]!.GetValue<string>(), HttpCompletionOption.ResponseHeadersRead, cancellationToken))
                    {
                        video.EnsureSuccessStatusCode();
                        await using var body = await video.Content.ReadAsStreamAsync(cancellationToken);
                        await container.GetBlobClient(blobName).UploadAsync(body, overwrite: true, cancellationToken);
                    }

                    return watch.Elapsed;
                case "PENDING" or "RUNNING":
                    continue;
                case var status:
                    throw new InvalidOperationException($"the bare client's task {taskId} ended {status}");
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private static HttpClient CreateClient(RunningSimulator simulator)
    {
        var http = new HttpClient { BaseAddress = simulator.BaseUrl, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", simulator.Options.ApiKey);
        return http;
    }
}
