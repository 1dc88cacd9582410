using Azure;
using Azure.Storage.Blobs;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// Turns the media of a blob-pipeline job that name blobs beside its job file (<c>"video_url": "clip.mp4"</c>)
/// into the plain URLs of those blobs, recorded as the job's own (<see cref="VaceJob.OwnedMedia"/>): the workflow
/// signs them with short-lived read SAS only when it fetches them or submits (<see cref="OwnedMediaUrls"/>). A named
/// blob that does not exist is a problem reported at its field.
/// </summary>
public sealed class BlobMediaResolver(BlobContainerClient inbox, string folder)
{
    public async Task<(VaceJob Job, IReadOnlyList<JobIssue> Problems)> ResolveAsync(VaceJob job, CancellationToken cancellationToken)
    {
        var problems = new List<JobIssue>();
        var owned = new List<string>();
        var resolved = new Dictionary<string, string>();
        foreach (var (path, value) in job.Document.Input.Media().Where(m => !MediaUrls.IsHttpUrl(m.Value)))
        {
            var blob = inbox.GetBlobClient(folder.Length == 0 ? value : $"{folder}/{value}");
            try
            {
                await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                problems.Add(JobIssue.Error("media_not_found", path, $"{path} names '{value}', but there is no blob '{blob.Name}' in '{inbox.Name}' beside the job file."));
                continue;
            }

            owned.Add(blob.Uri.AbsoluteUri);
            resolved[path] = blob.Uri.AbsoluteUri;
        }

        var input = job.Document.Input.WithMedia((path, value) => resolved.GetValueOrDefault(path, value));
        return (job with { Document = job.Document with { Input = input }, OwnedMedia = owned }, problems);
    }
}
