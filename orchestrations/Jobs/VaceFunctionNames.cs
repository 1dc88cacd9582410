namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>The five values of <c>input.function</c>, as the service spells them.</summary>
public static class VaceFunctionNames
{
    public const string ImageReference = "image_reference";
    public const string VideoRepainting = "video_repainting";
    public const string VideoEdit = "video_edit";
    public const string VideoExtension = "video_extension";
    public const string VideoOutpainting = "video_outpainting";

    public static IReadOnlyList<string> All { get; } =
        [ImageReference, VideoRepainting, VideoEdit, VideoExtension, VideoOutpainting];
}
