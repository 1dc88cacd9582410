using System.Text.Json.Nodes;

namespace VaceFunctions.Local.Tests.Cli;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-validate-");

    private static readonly string[] Documented =
        ["image_reference", "video_repainting", "video_edit", "video_extension", "video_outpainting"];

    [Fact]
    public async Task Validate_DocumentedRequests_ExitZeroAndReportEachValid()
    {
        var (exitCode, output, _) = await VaceProcess.RunAsync(["validate", .. Documented.Select(Sample)]);

        Assert.Equal(0, exitCode);
        foreach (var name in Documented)
        {
            Assert.Contains($"{Sample(name)}: valid — {name} on wan2.1-vace-plus, job id job-", output);
        }

        Assert.Contains("5 valid, 0 invalid, 0 unreadable", output);
    }

    [Fact]
    public async Task Validate_EverySample_ExitOneAndGivesEachBrokenOneWithItsReasons()
    {
        var samples = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.json").Order().ToArray();

        var (exitCode, output, _) = await VaceProcess.RunAsync(["validate", .. samples]);

        Assert.Equal(1, exitCode);
        Assert.All(samples.Where(s => Path.GetFileName(s).StartsWith("invalid-", StringComparison.Ordinal)),
            s => Assert.Contains($"{s}: invalid — ", output));
        Assert.Contains("  error   input.mask_video_url: Give exactly one of input.mask_image_url and input.mask_video_url, not both. [mutually_exclusive]", output);
        Assert.Contains("  warning parameters.control_condition: ", output);
        Assert.Contains("[model_region_mismatch]", output);
        Assert.Contains("[invalid_json]", output);
        Assert.Contains("[no_effect]", output);
        Assert.Contains("6 valid, 4 invalid, 0 unreadable", output);
    }

    [Fact]
    public async Task Validate_MissingFile_ExitTwoAndStillChecksTheOthers()
    {
        var (exitCode, output, _) = await VaceProcess.RunAsync("validate", "samples/no-such-job.json", Sample("video_edit"));

        Assert.Equal(2, exitCode);
        Assert.Contains("samples/no-such-job.json: unreadable — ", output);
        Assert.Contains($"{Sample("video_edit")}: valid", output);
    }

    [Fact]
    public async Task Validate_Json_GivesOneRecordPerFile()
    {
        var (exitCode, output, _) = await VaceProcess.RunAsync(
            "validate", "--json", Sample("video_edit"), Sample("invalid-video-edit"), "samples/missing.json");

        Assert.Equal(2, exitCode);
        var records = JsonNode.Parse(output)!.AsArray();
        Assert.Equal(["valid", "invalid", "unreadable"], records.Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal("video_edit", records[0]!["function"]!.GetValue<string>());
        Assert.StartsWith("job-", records[0]!["job_id"]!.GetValue<string>(), StringComparison.Ordinal);
        var firstError = records[1]!["errors"]![0]!;
        Assert.Equal("input.mask_video_url", firstError["path"]!.GetValue<string>());
        Assert.Equal("mutually_exclusive", firstError["code"]!.GetValue<string>());
        Assert.Equal("parameters.control_condition", records[1]!["warnings"]![0]!["path"]!.GetValue<string>());
        Assert.NotNull(records[2]!["message"]);
    }

    [Fact]
    public async Task Validate_Json_IsPlainUtf8_WithoutUnicodeEscapes()
    {
        var (exitCode, output, _) = await VaceProcess.RunAsync("validate", "--json", Sample("invalid-many-rules"));

        Assert.Equal(1, exitCode);
        Assert.DoesNotContain("\\u00", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u20", output, StringComparison.Ordinal);
        Assert.Contains("got \\\"spring campaign #17\\\"", output, StringComparison.Ordinal);
        Assert.Contains("1–64 characters of letters, digits, '-' and '_'", output, StringComparison.Ordinal);
        Assert.Contains("spring campaign #17", JsonNode.Parse(output)![0]!["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Region_DecidesWhichModelIsAccepted()
    {
        var file = TempJob(document => document["model"] = "wanx2.1-vace-plus");

        Assert.Equal(1, (await VaceProcess.RunAsync("validate", file)).ExitCode);
        Assert.Equal(0, (await VaceProcess.RunAsync("validate", "--region", "chinese-mainland", file)).ExitCode);
        Assert.Equal(0, (await VaceProcess.RunAsync("validate", "--region", "any", file)).ExitCode);
    }

    [Fact]
    public async Task Validate_BlobPipeline_AcceptsMediaNamedBesideTheJobFile()
    {
        var file = TempJob(document => document["input"]!["video_url"] = "clip.mp4");

        Assert.Equal(1, (await VaceProcess.RunAsync("validate", file)).ExitCode);
        Assert.Equal(0, (await VaceProcess.RunAsync("validate", "--blob-pipeline", file)).ExitCode);
    }

    [Fact]
    public async Task Validate_OutputContainer_IsCheckedAgainstTheConfiguredAllowList()
    {
        var file = TempJob(document => document["output"] = new JsonObject { ["container"] = "campaign-videos" });

        var refused = await VaceProcess.RunAsync(["validate", file], environment: new Dictionary<string, string?>());
        var allowed = await VaceProcess.RunAsync(["validate", file], environment: new Dictionary<string, string?> { ["Vace__AllowedOutputContainers"] = "campaign-videos" });

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("campaign-videos", refused.Output, StringComparison.Ordinal);
        Assert.Equal(0, allowed.ExitCode);
    }

    private static string Sample(string name) => $"samples/{name}.json";

    public void Dispose() => _temp.Delete(recursive: true);

    private string TempJob(Action<JsonObject> change)
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, Sample("video_outpainting"))))!.AsObject();
        change(document);
        var path = Path.Combine(_temp.FullName, "job.json");
        File.WriteAllText(path, document.ToJsonString());
        return path;
    }
}
