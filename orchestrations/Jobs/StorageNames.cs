using System.Text.RegularExpressions;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>Azure Storage naming rules for the containers and blobs a job may name.</summary>
public static partial class StorageNames
{
    public const int MaxBlobNameLength = 1024;

    /// <summary>3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.</summary>
    public static bool IsValidContainerName(string? value) => value is not null && ContainerPattern().IsMatch(value);

    /// <summary>
    /// 1–1024 characters of '/'-separated segments, none empty (so no leading '/'), "." or "..", or ending in '.'
    /// (which URLs may drop), with no backslash, control character or surrounding whitespace: a name that cannot
    /// escape its folder or mean two things.
    /// </summary>
    public static bool IsValidBlobName(string? value) =>
        value is { Length: > 0 and <= MaxBlobNameLength }
        && value.Trim().Length == value.Length
        && !value.Any(c => char.IsControl(c) || c == '\\')
        && value.Split('/').All(segment => segment.Length > 0 && !segment.EndsWith('.'));

    /// <summary>The manifest's file name beside the default video name.</summary>
    public const string ManifestName = "result.json";

    private const string DefaultVideoName = "output.mp4";

    /// <summary>
    /// The manifest of a video, beside it and its own: <c>{folder}/result.json</c> for the default
    /// <c>{folder}/output.mp4</c>, else the video's name with <c>.result.json</c> in place of its extension
    /// (<c>campaign/017.mp4</c> → <c>campaign/017.result.json</c>), so jobs sharing a folder keep one record each.
    /// </summary>
    public static string ManifestBlobFor(string videoBlob)
    {
        ArgumentNullException.ThrowIfNull(videoBlob);
        var folderEnd = videoBlob.LastIndexOf('/') + 1;
        var name = videoBlob[folderEnd..];
        if (name == DefaultVideoName)
        {
            return videoBlob[..folderEnd] + ManifestName;
        }

        var dot = name.LastIndexOf('.');
        return videoBlob[..folderEnd] + (dot > 0 ? name[..dot] : name) + "." + ManifestName;
    }

    [GeneratedRegex("^(?=.{3,63}\\z)[a-z0-9]+(-[a-z0-9]+)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPattern();
}
