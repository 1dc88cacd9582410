using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.IO;

namespace VaceFunctions.Local.Tests.IO;

/// <summary>Owned media are signed only when fetched or submitted, on Azurite: fresh read SAS for the job's own blobs, nothing else.</summary>
public sealed class OwnedMediaUrlsTests
{
    [Fact]
    public async Task SignRequest_SignsOnlyTheJobsOwnBlobs_InFieldsAndLists()
    {
        var (signer, container) = await SignerAsync();
        var clip = await UploadAsync(container, "f/clip.mp4", "clip");
        var image = await UploadAsync(container, "f/a.png", "image");
        var request = new JsonObject
        {
            ["model"] = "wan2.1-vace-plus",
            ["input"] = new JsonObject
            {
                ["video_url"] = clip,
                ["ref_images_url"] = new JsonArray(image, "https://example.com/b.png"),
                ["mask_image_url"] = "https://example.com/mask.png",
                ["prompt"] = clip,
            },
        };

        var signed = JsonNode.Parse(await signer.SignRequestAsync(request.ToJsonString(), [clip, image], CancellationToken.None))!["input"]!;

        var signedClip = signed["video_url"]!.GetValue<string>();
        Assert.StartsWith(clip + "?", signedClip, StringComparison.Ordinal);
        Assert.Contains("sp=r", signedClip, StringComparison.Ordinal);
        Assert.StartsWith(image + "?", signed["ref_images_url"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("https://example.com/b.png", signed["ref_images_url"]![1]!.GetValue<string>());
        Assert.Equal("https://example.com/mask.png", signed["mask_image_url"]!.GetValue<string>());
        using var http = new HttpClient();
        Assert.Equal("clip", await http.GetStringAsync(signedClip));
        Assert.False((await http.GetAsync(clip)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Sign_UrlOfAnotherAccountOrAlreadySigned_IsRefused()
    {
        var (signer, container) = await SignerAsync();
        var clip = await UploadAsync(container, "g/clip.mp4", "clip");

        await Assert.ThrowsAsync<ArgumentException>(() => signer.SignAsync("https://other.blob.core.windows.net/c/clip.mp4", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => signer.SignAsync(clip + "?sv=x&sig=y", CancellationToken.None));
    }

    private static async Task<(OwnedMediaUrls Signer, BlobContainerClient Container)> SignerAsync()
    {
        var blobs = new BlobServiceClient((await Azurite.GetAsync()).ConnectionString);
        var container = blobs.GetBlobContainerClient(Azurite.UniqueName("owned"));
        await container.CreateIfNotExistsAsync();
        var signer = new OwnedMediaUrls(blobs, new BlobReadUrls(blobs, TimeProvider.System), Options.Create(new InboxOptions()), TimeProvider.System);
        return (signer, container);
    }

    private static async Task<string> UploadAsync(BlobContainerClient container, string name, string content)
    {
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromString(content), overwrite: true);
        return blob.Uri.AbsoluteUri;
    }
}
