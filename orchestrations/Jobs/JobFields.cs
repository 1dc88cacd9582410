namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// The wire names of every field of a job document: the DashScope request body (model, input, parameters)
/// and the project's envelope (id, output, callback_url, probe_inputs, traceparent). The model types and the validator both use these,
/// so a name is spelled in one place.
/// </summary>
public static class JobFields
{
    // Envelope and request body.
    public const string Id = "id";
    public const string Model = "model";
    public const string Input = "input";
    public const string Parameters = "parameters";
    public const string Output = "output";
    public const string CallbackUrl = "callback_url";
    public const string ProbeInputs = "probe_inputs";
    public const string TraceParent = "traceparent";

    // input.*
    public const string Function = "function";
    public const string Prompt = "prompt";
    public const string RefImagesUrl = "ref_images_url";
    public const string VideoUrl = "video_url";
    public const string MaskImageUrl = "mask_image_url";
    public const string MaskVideoUrl = "mask_video_url";
    public const string MaskFrameId = "mask_frame_id";
    public const string FirstClipUrl = "first_clip_url";
    public const string LastClipUrl = "last_clip_url";
    public const string FirstFrameUrl = "first_frame_url";
    public const string LastFrameUrl = "last_frame_url";

    // parameters.*
    public const string PromptExtend = "prompt_extend";
    public const string Size = "size";
    public const string ObjOrBg = "obj_or_bg";
    public const string ControlCondition = "control_condition";
    public const string Strength = "strength";
    public const string MaskType = "mask_type";
    public const string ExpandRatio = "expand_ratio";
    public const string TopScale = "top_scale";
    public const string BottomScale = "bottom_scale";
    public const string LeftScale = "left_scale";
    public const string RightScale = "right_scale";

    // output.*
    public const string Container = "container";
    public const string Blob = "blob";
}
