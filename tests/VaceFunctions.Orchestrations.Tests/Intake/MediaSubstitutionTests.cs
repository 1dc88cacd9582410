using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Tests.Intake;

public sealed class MediaSubstitutionTests
{
    private const string Clip = "http://127.0.0.1:5000/media/sample-input.mp4";
    private const string Image = "http://127.0.0.1:5000/media/sample-image.png";

    private static readonly MediaSubstitution Substitution = new(new Dictionary<string, string>
    {
        ["http://wanx.alicdn.com/material/20250318/video_edit_2.mp4"] = Clip,
        ["http://wanx.alicdn.com/material/20250318/image_reference_1_5_16.png"] = Image,
        ["http://wanx.alicdn.com/material/20250318/image_reference_2_5_16.png"] = Image,
    });

    [Fact]
    public void Apply_DocumentedUrls_AreReplacedEachWithAWarningAtItsField()
    {
        var job = JobValidator.Validate(Samples.Load("image_reference")).Job!;

        var substituted = Substitution.Apply(job);

        Assert.Equal([Image, Image], substituted.Document.Input.RefImagesUrl);
        Assert.Equal(
            ["input.ref_images_url[0]", "input.ref_images_url[1]"],
            substituted.Warnings.Where(w => w.Code == JobIssueCodes.MediaSubstituted).Select(w => w.Path));
        Assert.All(substituted.Warnings, w => Assert.Equal(JobIssueSeverity.Warning, w.Severity));
        Assert.Equal(Image, substituted.ToDashScopeRequest()["input"]!["ref_images_url"]![0]!.GetValue<string>());
    }

    [Fact]
    public void Apply_OnlyExactMatches_AreReplaced()
    {
        var job = JobValidator.Validate(Samples.Load("video_edit")).Job!;

        var substituted = Substitution.Apply(job);

        Assert.Equal(Clip, substituted.Document.Input.VideoUrl);
        Assert.Equal("http://wanx.alicdn.com/material/20250318/video_edit_1_mask.png", substituted.Document.Input.MaskImageUrl);
        Assert.Equal("input.video_url", Assert.Single(substituted.Warnings, w => w.Code == JobIssueCodes.MediaSubstituted).Path);
    }

    [Theory]
    [InlineData("https://wanx.alicdn.com/material/20250318/video_edit_2.mp4")]
    [InlineData("http://wanx.alicdn.com/material/20250318/video_edit_2.mp4?v=1")]
    [InlineData("http://WANX.alicdn.com/material/20250318/video_edit_2.mp4")]
    [InlineData("http://example.com/material/20250318/video_edit_2.mp4")]
    public void Apply_UrlsNotListed_LeaveTheJobAsItIs(string url)
    {
        var document = Samples.Load("video_edit");
        document["input"]!["video_url"] = url;
        var job = JobValidator.Validate(document).Job!;

        Assert.Same(job, Substitution.Apply(job));
    }
}
