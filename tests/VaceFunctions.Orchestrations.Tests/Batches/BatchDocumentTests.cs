using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Batches;

/// <summary>Reading a batch file, every line checked by the real <see cref="JobIntake.Check"/>.</summary>
public sealed class BatchDocumentTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddSingleton<VaceTelemetry>()
        .BuildServiceProvider();

    private readonly JobIntake _intake;

    public BatchDocumentTests()
    {
        // Check reads and validates only: it never reaches the engine's client or storage.
        _intake = new JobIntake(null!, new BlobServiceClient("UseDevelopmentStorage=true"),
            Options.Create(new WorkflowOptions()), Options.Create(new DashScopeOptions()), Options.Create(new InboxOptions()),
            TimeProvider.System, _services.GetRequiredService<VaceTelemetry>());
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Read_JsonLines_NumbersLinesCountingBlanks_AndReportsInvalidOnes()
    {
        var bad = Samples.Load("video_edit");
        bad["input"]!["mask_video_url"] = "https://example.com/m.mp4";
        var file = Lines(
            """{"batch": {"id": "spring", "callback_url": "https://example.com/hook", "metadata": {"k": "v"}}}""",
            Job("video_outpainting", "a"),
            "   ",
            bad.ToJsonString(),
            Job("video_outpainting", null),
            "{ not json");

        var batch = Read(file);

        Assert.False(batch.Refused);
        Assert.Equal("spring", batch.BatchId);
        Assert.Equal("https://example.com/hook", batch.Envelope.CallbackUrl);
        Assert.Equal("v", batch.Envelope.Metadata!["k"]!.GetValue<string>());
        Assert.Equal([2, 4, 5, 6], batch.Lines.Select(l => l.Line));
        Assert.Equal([true, false, true, false], batch.Lines.Select(l => l.Valid));
        Assert.Equal("spring-00005", batch.Lines[2].JobId);
        Assert.Equal("spring-00005", batch.Lines[2].Document!["id"]!.GetValue<string>());
        Assert.Contains(batch.Lines[1].Errors, e => e.Path == "input.mask_video_url");
        Assert.Contains(batch.Lines[3].Errors, e => e.Code == "invalid_json");
    }

    [Fact]
    public void Read_JsonArray_WithoutEnvelope_DerivesTheBatchIdFromTheFile()
    {
        var file = Encoding.UTF8.GetBytes(new JsonArray(Samples.Load("video_outpainting"), Samples.Load("image_reference"))
            .ToJsonString());

        var batch = Read(file);
        var again = Read(file);

        Assert.StartsWith("batch-", batch.BatchId, StringComparison.Ordinal);
        Assert.Equal(batch.BatchId, again.BatchId);
        Assert.Equal([1, 2], batch.Lines.Select(l => l.Line));
        Assert.All(batch.Lines, l => Assert.True(l.Valid, string.Join(", ", l.Errors)));
        Assert.Equal([$"{batch.BatchId}-00001", $"{batch.BatchId}-00002"], batch.Lines.Select(l => l.JobId));
    }

    [Fact]
    public void Read_TheSameIdOnTwoLines_RejectsTheSecond()
    {
        var batch = Read(Lines(Job("video_outpainting", "twice"), Job("video_outpainting", "twice")));

        Assert.True(batch.Lines[0].Valid);
        Assert.Contains(batch.Lines[1].Errors, e => e.Message.Contains("line 1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Read_AllOrNothingWithAnInvalidLine_RefusesTheBatch_KeepingEveryLine(bool allOrNothing, bool refused)
    {
        var envelope = "{\"batch\": {\"id\": \"strict\", \"all_or_nothing\": " + (allOrNothing ? "true" : "false") + "}}";

        var batch = Read(Lines(envelope, Job("video_outpainting", "ok"), "{\"input\": {}}"));

        Assert.Equal(refused, batch.Refused);
        Assert.Equal([true, false], batch.Lines.Select(l => l.Valid));
        Assert.Equal(refused ? "1 of 2 lines are invalid, and the batch is all_or_nothing: none was started." : null, batch.Refusal);
    }

    [Theory]
    [InlineData(3, 1_000_000, true, "at most 2 job documents")]
    [InlineData(2, 100, true, "at most 100 bytes")]
    [InlineData(2, 1_000_000, false, null)]
    public void Read_BeyondTheLimits_IsRefusedWhole(int lines, long maxBytes, bool refused, string? says)
    {
        var file = Lines([.. Enumerable.Range(1, lines).Select(i => Job("video_outpainting", $"j{i}"))]);

        var batch = BatchDocument.Read(file, new BatchOptions { MaxLines = 2, MaxBytes = maxBytes }, Check);

        Assert.Equal(refused, batch.Refused);
        Assert.Equal(refused, batch.TooLarge);
        if (says is not null)
        {
            Assert.Contains(says, batch.Refusal!, StringComparison.Ordinal);
            Assert.Empty(batch.Lines);
        }
    }

    [Theory]
    [InlineData("""{"batch": {"id": "has space"}}""", "batch.id")]
    [InlineData("""{"batch": {"id": "ok", "color": "red"}}""", "unknown envelope field 'color'")]
    [InlineData("""{"batch": {"callback_url": "ftp://x"}}""", "callback_url")]
    [InlineData("""{"batch": {"callback_url": "http://example.com/hook"}}""", "absolute https URL")]
    [InlineData("""{"batch": {"id": "ok"}, "extra": 1}""", "alone")]
    public void Read_BadEnvelope_IsRefusedWithItsLine(string envelope, string says)
    {
        var batch = Read(Lines(envelope, Job("video_outpainting", "a")));

        Assert.True(batch.Refused);
        Assert.StartsWith("Line 1: ", batch.Refusal, StringComparison.Ordinal);
        Assert.Contains(says, batch.Refusal!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("""{"batch": {"id": "empty"}}""")]
    [InlineData("[1, 2")]
    public void Read_NoJobsOrNoReadableShape_IsRefused(string file)
    {
        Assert.True(Read(Encoding.UTF8.GetBytes(file)).Refused);
    }

    private BatchDocument Read(byte[] file) => BatchDocument.Read(file, new BatchOptions(), Check);

    private Orchestrations.Intake.JobCheck Check(byte[] line) => _intake.Check(line, IntakeSource.Http);

    private static string Job(string sample, string? id)
    {
        var document = Samples.Load(sample);
        if (id is not null)
        {
            document["id"] = id;
        }

        return document.ToJsonString();
    }

    private static byte[] Lines(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\r\n", lines) + "\n");
}
