using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// Media URLs that intake replaces, exactly as written, by others: a host that stands in for DashScope with a
/// simulator on a machine without a network registers one, so the documented example requests, whose media are on the
/// public internet, run unchanged on the simulator's sample media. Every replacement is a warning of the job
/// (<see cref="JobIssueCodes.MediaSubstituted"/>), so its status and manifest say so. A host that runs on the real
/// service registers none, and intake then leaves every URL as it is.
/// </summary>
/// <param name="replacements">From each URL, exactly as a document writes it, to the URL that stands in for it.</param>
public sealed class MediaSubstitution(IReadOnlyDictionary<string, string> replacements)
{
    /// <summary>The job with its replaced media and a warning per replacement; the job itself when nothing matched.</summary>
    public VaceJob Apply(VaceJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var warnings = new List<JobIssue>();
        var input = job.Document.Input.WithMedia((path, url) =>
        {
            if (!replacements.TryGetValue(url, out var replacement))
            {
                return url;
            }

            warnings.Add(JobIssue.Warning(
                JobIssueCodes.MediaSubstituted,
                path,
                $"{path} '{url}' was replaced by '{replacement}': this host runs the DashScope simulator, which stands in for the documented example media."));
            return replacement;
        });
        return warnings.Count == 0 ? job : job with { Document = job.Document with { Input = input }, Warnings = [.. job.Warnings, .. warnings] };
    }
}
