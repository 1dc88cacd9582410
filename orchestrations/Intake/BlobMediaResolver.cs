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
        var input = job.Document.Input;

        async Task<string?> Resolve(string field, string? value)
        {
            if (value is null || MediaUrls.IsHttpUrl(value))
            {
                return value;
            }

            var blob = inbox.GetBlobClient(folder.Length == 0 ? value : $"{folder}/{value}");
            try
            {
                await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                problems.Add(JobIssue.Error("media_not_found", field, $"{field} names '{value}', but there is no blob '{blob.Name}' in '{inbox.Name}' beside the job file."));
                return value;
            }

            owned.Add(blob.Uri.AbsoluteUri);
            return blob.Uri.AbsoluteUri;
        }

        var images = new List<string>();
        for (var i = 0; i < (input.RefImagesUrl?.Count ?? 0); i++)
        {
            images.Add((await Resolve($"input.ref_images_url[{i}]", input.RefImagesUrl![i]))!);
        }

        var resolved = input with
        {
            RefImagesUrl = input.RefImagesUrl is null ? null : images,
            VideoUrl = await Resolve("input.video_url", input.VideoUrl),
            MaskImageUrl = await Resolve("input.mask_image_url", input.MaskImageUrl),
            MaskVideoUrl = await Resolve("input.mask_video_url", input.MaskVideoUrl),
            FirstClipUrl = await Resolve("input.first_clip_url", input.FirstClipUrl),
            LastClipUrl = await Resolve("input.last_clip_url", input.LastClipUrl),
            FirstFrameUrl = await Resolve("input.first_frame_url", input.FirstFrameUrl),
            LastFrameUrl = await Resolve("input.last_frame_url", input.LastFrameUrl),
        };
        return (job with { Document = job.Document with { Input = resolved }, OwnedMedia = owned }, problems);
    }
}
