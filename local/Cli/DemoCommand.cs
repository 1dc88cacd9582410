using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask.Client;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace demo</c>: one documented request end to end on this machine. Starts Azurite (unless
/// AzureWebJobsStorage is set), the DashScope simulator (unless an API key is configured), and the host; drops the
/// request into the job queue; shows its progress; and ends with the verified video in storage and in ./out/.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var sample = new Option<string>("--sample")
        {
            Description = "Which sample to run: a documented request (image_reference, video_repainting, video_edit, video_extension, video_outpainting) or any other in samples/.",
            DefaultValueFactory = _ => "video_edit",
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Where to download the finished video.",
            DefaultValueFactory = _ => new DirectoryInfo("out"),
        };
        var command = new Command("demo", "Run a documented request end to end: offline on Azurite and the simulator, or on DashScope when an API key is configured.")
        {
            sample, output,
        };
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(parseResult.GetValue(sample)!, parseResult.GetValue(output)!, parseResult.InvocationConfiguration, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string sampleName, DirectoryInfo outDirectory, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        var (console, error) = (io.Output, io.Error);
        if (SampleDocuments.PathOf(sampleName) is not { } path)
        {
            await error.WriteLineAsync($"No sample '{sampleName}'. Samples: {string.Join(", ", SampleDocuments.Names)}.");
            return ExitCodes.Usage;
        }

        var read = JobDocumentReader.Read(await File.ReadAllBytesAsync(path, cancellationToken));
        if (!read.Succeeded)
        {
            return await RejectedAsync(error, sampleName, [read.Error]);
        }

        var document = read.Document;
        var configuration = VaceLocalHost.ReadConfiguration([]);
        await using var development = await DevelopmentServices.StartAsync(configuration, dataLocation: null, simulator =>
        {
            simulator.PendingDuration = TimeSpan.FromSeconds(2);
            simulator.RunningDuration = TimeSpan.FromSeconds(4);
        }, cancellationToken);

        // The demo's console is its progress display: the engine's warnings about a slow moment of storage (its partition
        // table) are noise there; its errors still show.
        var overrides = new Dictionary<string, string?>(development.Overrides) { ["Logging:LogLevel:Default"] = "Warning", ["Logging:LogLevel:DurableTask"] = "Error" };
        if (development.UsesSimulator)
        {
            // The intake puts the simulator's media in place of the documented ones (and says so in the job's warnings).
            overrides["Vace:InitialPollInterval"] = "00:00:01";
            overrides["Vace:PollInterval"] = "00:00:02";
            overrides["Vace:SlotRetryInterval"] = "00:00:01";
            await console.WriteLineAsync($"DashScope: the simulator at {development.Simulator!.BaseUrl} (no API key configured); the sample's media are the simulator's own.");
        }
        else
        {
            await console.WriteLineAsync($"DashScope: {configuration["DashScope:BaseUrl"] ?? "the international endpoint"} (a real task will be billed).");
        }

        await console.WriteLineAsync(overrides.ContainsKey("AzureWebJobsStorage")
            ? "Storage: Azurite, started for this demo (in memory)."
            : "Storage: AzureWebJobsStorage from configuration.");

        var jobId = $"demo-{sampleName.Replace('_', '-')}-{DateTime.UtcNow:yyyyMMddHHmmss}";
        document["id"] = jobId;
        await using var host = VaceLocalHost.Build(["--urls", "http://127.0.0.1:0"], overrides);
        await host.StartAsync(cancellationToken);

        // Intake would reject the document at once and no job would start: check it as intake does, and say why.
        var validation = JobValidator.Validate(document, host.Services.GetRequiredService<JobIntake>().ValidationOptions(IntakeSource.Queue));
        if (!validation.IsValid)
        {
            await host.StopAsync(CancellationToken.None);
            return await RejectedAsync(error, sampleName, validation.Issues);
        }

        foreach (var warning in validation.Warnings)
        {
            await error.WriteLineAsync(JobSummary.IssueLine(warning));
        }

        var queueName = host.Services.GetRequiredService<IOptions<QueueIntakeOptions>>().Value.Name;
        var queue = host.Services.GetRequiredService<QueueServiceClient>().GetQueueClient(queueName);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await queue.SendMessageAsync(document.ToJsonString(), cancellationToken);
        await console.WriteLineAsync($"Queued job {jobId} ({sampleName}) on '{queueName}'.");

        var client = host.Services.GetRequiredService<DurableTaskClient>();
        OrchestrationMetadata status;
        try
        {
            status = await ProgressDisplay.FollowAsync(client, jobId, console, TimeSpan.FromMinutes(90), cancellationToken);
        }
        catch (TimeoutException ex)
        {
            await error.WriteLineAsync(ex.Message);
            await host.StopAsync(CancellationToken.None);
            return ExitCodes.Failed;
        }

        var result = status.ReadOutputAs<VaceJobResult>();
        if (result is not { Succeeded: true })
        {
            await error.WriteLineAsync($"Job {jobId} failed: {result?.ErrorCode ?? status.RuntimeStatus.ToString()}: {result?.ErrorMessage ?? status.FailureDetails?.ErrorMessage}");
            await host.StopAsync(CancellationToken.None);
            return ExitCodes.Failed;
        }

        outDirectory.Create();
        var local = Path.Combine(outDirectory.FullName, $"{jobId}.mp4");
        var blob = host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(result.Container).GetBlobClient(result.Blob);
        await blob.DownloadToAsync(local, cancellationToken);
        await using (var file = File.OpenRead(local))
        {
            var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
            if (sha256 != result.Sha256)
            {
                await error.WriteLineAsync($"The downloaded video's sha256 {sha256} differs from the job's {result.Sha256}.");
                return ExitCodes.Failed;
            }
        }

        await console.WriteLineAsync($"""
            Job {jobId} succeeded: DashScope task {result.TaskId}, {result.DurationSeconds?.ToString("F1", CultureInfo.InvariantCulture)} s of video.
              video     {result.BlobUrl}
              size      {result.Size:N0} bytes, sha256 {result.Sha256} (verified)
              manifest  {result.Container}/{result.ManifestBlob}
              local     {local}
            """);
        await host.StopAsync(CancellationToken.None);
        return ExitCodes.Ok;
    }

    /// <summary>A sample that can never run: every error (path: message) on stderr, and exit code 1.</summary>
    private static async Task<int> RejectedAsync(TextWriter error, string sampleName, IReadOnlyList<JobIssue> issues)
    {
        await error.WriteLineAsync($"The sample '{sampleName}' would be rejected at intake; no job was started:");
        foreach (var issue in issues)
        {
            await error.WriteLineAsync(JobSummary.IssueLine(issue));
        }

        return ExitCodes.Failed;
    }
}
