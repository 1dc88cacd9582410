namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// The address rules for media in a job: an absolute http(s) URL with a host and no credentials, or, in a
/// job file of the blob-upload pipeline, the name of a blob beside the job file.
/// </summary>
public static class MediaUrls
{
    public const int MaxUrlLength = 2048;

    /// <summary>An absolute http or https URL with a host, no user info, no surrounding whitespace.</summary>
    public static bool IsHttpUrl(string? value) =>
        value is { Length: > 0 and <= MaxUrlLength }
        && !value.Any(char.IsControl)
        && value.Trim().Length == value.Length
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Host.Length > 0
        && uri.UserInfo.Length == 0;

    /// <summary>
    /// A bare relative blob name such as <c>clip.mp4</c> or <c>media/mask.png</c>: a safe blob path with no
    /// scheme, query or fragment, so it can never be mistaken for a URL or climb out of the job's folder.
    /// </summary>
    public static bool IsRelativeMediaName(string? value) =>
        StorageNames.IsValidBlobName(value) && value!.IndexOfAny([':', '?', '#']) < 0;
}
