using VaceFunctions.Local.Tests.Batches;

namespace VaceFunctions.Local.Tests.Cli;

/// <summary>vace batch submit, status and cancel, run as processes against a running host.</summary>
public sealed class BatchCommandsTests(BatchHostFixture host) : IClassFixture<BatchHostFixture>, IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-batch-");

    private string Url => host.Host.Urls.First();

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task SubmitWait_ReportsTheRejectedLine_AndEndsWithTheCounts_ThenStatusShowsThem()
    {
        var file = Path.Combine(_temp.FullName, "spring.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            """{"batch": {"id": "cli-batch"}}""",
            host.Sample("video_outpainting", "cli-batch-a").ToJsonString(),
            """{"input": {"function": "video_outpainting"}}""",
            host.Sample("video_outpainting", "cli-batch-b").ToJsonString(),
        ]);

        var (exitCode, output, error) = await VaceProcess.RunAsync(
            "batch", "submit", file, "--wait", "--url", Url, "--api-key", BatchHostFixture.Key);

        // One line was rejected: the batch ended, but not every line succeeded.
        Assert.True(exitCode == 1, output + error);
        Assert.Contains("line 3: rejected (cli-batch-00003)", error, StringComparison.Ordinal);
        Assert.Contains("input.prompt", error, StringComparison.Ordinal);
        Assert.Contains("Batch cli-batch accepted: 2 of 3 lines run.", output, StringComparison.Ordinal);
        Assert.Contains("Batch cli-batch: ended [####################] 3/3 — 2 succeeded, 1 rejected", output, StringComparison.Ordinal);
        Assert.Contains("results   batches/cli-batch/results.jsonl", output, StringComparison.Ordinal);

        var status = await VaceProcess.RunAsync("batch", "status", "cli-batch", "--url", Url, "--api-key", BatchHostFixture.Key);
        Assert.Equal(1, status.ExitCode);
        Assert.StartsWith("Batch cli-batch: ended", status.Output, StringComparison.Ordinal);

        var again = await VaceProcess.RunAsync("batch", "submit", file, "--url", Url, "--api-key", BatchHostFixture.Key);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already exists; nothing new was started", again.Output, StringComparison.Ordinal);

        var cancel = await VaceProcess.RunAsync("batch", "cancel", "cli-batch", "--url", Url, "--api-key", BatchHostFixture.Key);
        Assert.Equal(1, cancel.ExitCode);
        Assert.Contains("already ended", cancel.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_UnknownBatch_IsAUsageError()
    {
        var (exitCode, _, error) = await VaceProcess.RunAsync("batch", "status", "nope", "--url", Url, "--api-key", BatchHostFixture.Key);

        Assert.Equal(2, exitCode);
        Assert.Contains("No batch 'nope'", error, StringComparison.Ordinal);
    }
}
