namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>What an input URL must point at.</summary>
public enum MediaKind
{
    /// <summary>An MP4 of at most 50 MB and 5 s.</summary>
    Video,

    /// <summary>An MP4 clip for video_extension: at most 50 MB and 3 s.</summary>
    Clip,

    /// <summary>An image (PNG, JPEG, BMP or WEBP).</summary>
    Image,
}
