using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.Inputs;

/// <summary>
/// The probe over real HTTP: it reads only the few KB it needs, whatever the server sends, ends within its deadline
/// however slow the server is, and a refused address or a server that does not answer in time is a problem with the input.
/// </summary>
public sealed class ProbeInputsActivityTests
{
    private static readonly TimeSpan ShortProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Servers that never let a probe finish by themselves.</summary>
    public static readonly TheoryData<string> Misbehaving = new() { "stalls after its headers", "trickles a byte at a time", "never answers", "never closes" };

    [Fact]
    public void ProbeTimeout_DefaultsTo30Seconds() => Assert.Equal(TimeSpan.FromSeconds(30), new WorkflowOptions().ProbeTimeout);

    [Theory]
    [MemberData(nameof(Misbehaving))]
    public async Task Probe_ServerThatNeverFinishes_IsAProblemNamingTheField_WithinTheProbeTimeout(string behaviour)
    {
        const string Mp4Head = "HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-65535/1000000\r\nContent-Length: 65536\r\n\r\n";
        await using var slow = behaviour switch
        {
            "stalls after its headers" => RawHttpServer.Start(Mp4Head, bodyBytes: 65536, stallAfter: 0),

            // Each byte comes well within any read timeout; only a deadline on the whole probe ends it.
            "trickles a byte at a time" => RawHttpServer.Start(Mp4Head, Mp4Start(), bodyBytes: 65536, byteInterval: TimeSpan.FromMilliseconds(250)),
            "never answers" => RawHttpServer.Silent(),
            _ => RawHttpServer.Start(Mp4Head, Mp4Start(), bodyBytes: 65536, stallAfter: 1000),
        };
        await using var fine = RawHttpServer.Start("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 8\r\n\r\n", [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10], 8);
        using var services = MediaHttpClientTests.Services(allowLoopback: true, s => s.Configure<WorkflowOptions>(o => o.ProbeTimeout = ShortProbeTimeout));
        var probe = ActivatorUtilities.CreateInstance<ProbeInputsActivity>(services);
        var watch = Stopwatch.StartNew();

        var problems = await probe.RunAsync(
            [new MediaReference("input.video_url", slow.Url("clip.mp4"), MediaKind.Video), new MediaReference("input.ref_images_url[0]", fine.Url("ref.png"), MediaKind.Image)],
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("input.video_url: its server did not answer in time (the probe gives up after 2 s, Vace:ProbeTimeout).", Assert.Single(problems));

        // The deadline, plus the good medium's probe and a loaded machine's slack: nowhere near the server's pace.
        Assert.True(watch.Elapsed < ShortProbeTimeout + TimeSpan.FromSeconds(10), $"the probe took {watch.Elapsed}");
        Assert.True(fine.Connections >= 1, "the medium after the slow one was not probed");
    }

    /// <summary>An ftyp box and the start of a movie-data box: an MP4 whose movie header is further on.</summary>
    private static byte[] Mp4Start()
    {
        var start = new byte[32];
        BinaryPrimitives.WriteUInt32BigEndian(start, 24);
        "ftypisom"u8.CopyTo(start.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(start.AsSpan(24), 900_000);
        "mdat"u8.CopyTo(start.AsSpan(28));
        return start;
    }

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
