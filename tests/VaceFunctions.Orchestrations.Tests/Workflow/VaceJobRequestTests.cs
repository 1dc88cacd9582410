using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

public sealed class VaceJobRequestTests
{
    [Fact]
    public void MediaOf_GivesEveryMediaField_WithWhatItMustPointAt_AndWhetherItIsTheJobsOwn()
    {
        var input = new VaceJobInput
        {
            Function = "video_edit",
            Prompt = "p",
            RefImagesUrl = ["https://example.com/ref0.png", "https://example.com/ref1.png"],
            VideoUrl = "https://example.com/video.mp4",
            MaskImageUrl = "https://example.com/mask.png",
            MaskVideoUrl = "https://example.com/mask.mp4",
            FirstClipUrl = "https://example.com/first.mp4",
            LastClipUrl = "https://example.com/last.mp4",
            FirstFrameUrl = "https://example.com/first.png",
            LastFrameUrl = "https://example.com/last.png",
        };

        var media = VaceJobRequest.MediaOf(input, owned: ["https://example.com/video.mp4"]);

        Assert.Equal(
            [
                ("input.ref_images_url[0]", MediaKind.Image, false),
                ("input.ref_images_url[1]", MediaKind.Image, false),
                ("input.video_url", MediaKind.Video, true),
                ("input.mask_image_url", MediaKind.Image, false),
                ("input.mask_video_url", MediaKind.Video, false),
                ("input.first_clip_url", MediaKind.Clip, false),
                ("input.last_clip_url", MediaKind.Clip, false),
                ("input.first_frame_url", MediaKind.Image, false),
                ("input.last_frame_url", MediaKind.Image, false),
            ],
            media.Select(m => (m.Path, m.Kind, m.Owned)));
    }
}
