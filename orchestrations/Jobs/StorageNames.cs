using System.Text.RegularExpressions;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>Azure Storage naming rules for the containers and blobs a job may name.</summary>
public static partial class StorageNames
{
    public const int MaxBlobNameLength = 1024;

    /// <summary>3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.</summary>
    public static bool IsValidContainerName(string? value) => value is not null && ContainerPattern().IsMatch(value);

    /// <summary>
    /// 1–1024 characters of '/'-separated segments, none empty, "." or "..", with no backslash, control
    /// character or surrounding whitespace: a name that cannot escape its folder or mean two things.
    /// </summary>
    public static bool IsValidBlobName(string? value) =>
        value is { Length: > 0 and <= MaxBlobNameLength }
        && value.Trim().Length == value.Length
        && !value.Any(c => char.IsControl(c) || c == '\\')
        && value.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");

    [GeneratedRegex("^(?=.{3,63}\\z)[a-z0-9]+(-[a-z0-9]+)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPattern();
}
