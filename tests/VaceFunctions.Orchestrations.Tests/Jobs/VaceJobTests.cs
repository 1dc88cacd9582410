using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Tests.Jobs;

public class VaceJobTests
{
    [Theory]
    [MemberData(nameof(DocumentedSamples))]
    public void ToDashScopeRequest_DocumentedRequest_IsTheRequestUnchanged(string sample)
    {
        var job = JobValidator.Validate(Samples.Load(sample)).Job!;

        Assert.True(JsonNode.DeepEquals(Samples.Load(sample), job.ToDashScopeRequest()));
    }

    public static TheoryData<string> DocumentedSamples() => new(Samples.Documented);

    [Fact]
    public void ToDashScopeRequest_UnknownFields_ArePassedThroughAndTheEnvelopeDropped()
    {
        var document = Samples.Load("video_edit");
        document["id"] = "edit-1";
        document["output"] = new JsonObject { ["container"] = "results", ["blob"] = "a/b.mp4" };
        document["callback_url"] = "https://example.com/hook";
        document["resources"] = new JsonObject { ["priority"] = "high" };
        document["input"]!["seed"] = 12345;
        document["parameters"]!["watermark"] = new JsonArray(true, "corner");

        var result = JobValidator.Validate(document, new JobValidationOptions { OutputContainers = ["results"] });
        var request = result.Job!.ToDashScopeRequest();

        Assert.Equal(3, result.Warnings.Count());
        Assert.Null(request["id"]);
        Assert.Null(request["output"]);
        Assert.Null(request["callback_url"]);
        Assert.True(JsonNode.DeepEquals(document["resources"], request["resources"]));
        Assert.Equal(12345, request["input"]!["seed"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(document["parameters"]!["watermark"], request["parameters"]!["watermark"]));
        Assert.True(JsonNode.DeepEquals(document["input"]!["video_url"], request["input"]!["video_url"]));
    }

    [Fact]
    public void Document_RoundTrip_KeepsEveryFieldIncludingUnknownOnes()
    {
        var document = Samples.Load("image_reference");
        document["id"] = "rt-1";
        document["output"] = new JsonObject { ["blob"] = "rt/1.mp4", ["access_tier"] = "cool" };
        document["input"]!["future_field"] = new JsonObject { ["nested"] = new JsonArray(1, 2, 3) };

        var job = JobValidator.Validate(document).Job!;
        var serialized = System.Text.Json.JsonSerializer.SerializeToNode(job.Document, JobJsonContext.Default.VaceJobDocument);

        Assert.True(JsonNode.DeepEquals(document, serialized));
        Assert.Equal("rt/1.mp4", job.Document.Output!.Blob);
        Assert.Equal(["obj", "bg"], job.Document.Parameters!.ObjOrBg!);
    }

    [Fact]
    public void Document_TypedFields_AreReadWithTheirWireNames()
    {
        var document = JobValidator.Validate(Samples.Load("video_edit")).Job!.Document;

        Assert.Equal("http://wanx.alicdn.com/material/20250318/video_edit_2.mp4", document.Input.VideoUrl);
        Assert.Equal("http://wanx.alicdn.com/material/20250318/video_edit_1_mask.png", document.Input.MaskImageUrl);
        Assert.Equal(1, document.Input.MaskFrameId);
        Assert.Equal("tracking", document.Parameters!.MaskType);
        Assert.Equal(0.05, document.Parameters.ExpandRatio);
        Assert.False(document.Parameters.PromptExtend);
    }
}
