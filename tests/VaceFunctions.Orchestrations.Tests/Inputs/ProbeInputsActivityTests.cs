using System.Buffers.Binary;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.Inputs;

/// <summary>The probe over real HTTP: it reads only the few KB it needs, whatever the server sends, and a refused address is a problem with the input.</summary>
public sealed class ProbeInputsActivityTests
{
    [Fact]
    public async Task Probe_ServerIgnoringRangesWithNoLengthAndAHugeBody_ReadsOnlyWhatItAskedFor()
    {
        // An ftyp box, then a movie-data box that claims 4 GB: the movie header would be past it.
        var start = new byte[32];
        BinaryPrimitives.WriteUInt32BigEndian(start, 24);
        "ftypisom"u8.CopyTo(start.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(start.AsSpan(24), 0xFFFF_FFF0);
        "mdat"u8.CopyTo(start.AsSpan(28));
        await using var media = RawHttpServer.Start("HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n", start, 256L * 1024 * 1024);
        using var services = MediaHttpClientTests.Services(allowLoopback: true);
        var probe = ActivatorUtilities.CreateInstance<ProbeInputsActivity>(services);

        var problems = await probe.RunAsync([new MediaReference("input.video_url", media.Url("huge.mp4"), MediaKind.Video)], CancellationToken.None);

        // The duration cannot be read without the whole file: it is left to the service.
        Assert.Empty(problems);

        // What the probe asked for, plus what socket buffers took before it hung up: nowhere near the 256 MB offered.
        Assert.True(media.BodyBytesSent < 32L * 1024 * 1024, $"the server sent {media.BodyBytesSent} bytes over {media.Connections} connections");
    }

    [Fact]
    public async Task Probe_RefusedAddress_IsAProblemWithTheInput_NotARetriedFailure()
    {
        await using var bait = RawHttpServer.Start();
        using var services = MediaHttpClientTests.Services(allowLoopback: false);
        var probe = ActivatorUtilities.CreateInstance<ProbeInputsActivity>(services);

        var problems = await probe.RunAsync([new MediaReference("input.video_url", bait.Url("clip.mp4"), MediaKind.Video)], CancellationToken.None);

        Assert.StartsWith("input.video_url: cannot be fetched: Refusing to connect", Assert.Single(problems), StringComparison.Ordinal);
        Assert.Equal(0, bait.Connections);
    }
}
