using System.Buffers.Binary;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Inputs;

namespace VaceFunctions.Orchestrations.Tests.Inputs;

public class Mp4HeaderTests
{
    [Fact]
    public void TryReadDuration_FastStartMp4_ReadsMvhdFromTheFirstBytes()
    {
        var sample = SampleVideo.Bytes.ToArray();

        var duration = Mp4Header.TryReadDuration(sample.AsSpan(0, 64 * 1024), 0, out _);

        Assert.True(Mp4Header.IsMp4(sample));
        Assert.Equal(5.0, duration!.Value.TotalSeconds, 2);
        Assert.Equal(2.0, Mp4Header.TryReadDuration(SampleVideo.Input("sample-input.mp4")!.Value.Bytes, 0, out _)!.Value.TotalSeconds, 2);
    }

    [Fact]
    public void TryReadDuration_MoovAtTheEnd_PointsAtTheBoxBeyondTheData()
    {
        var reordered = MoovLast(SampleVideo.Bytes.ToArray());
        var moovAt = reordered.Length - MoovLength(SampleVideo.Bytes.ToArray());

        Assert.Null(Mp4Header.TryReadDuration(reordered.AsSpan(0, 4096), 0, out var next));
        Assert.Equal(moovAt, next);
        Assert.Equal(5.0, Mp4Header.TryReadDuration(reordered.AsSpan(moovAt), moovAt, out _)!.Value.TotalSeconds, 2);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0, 0, 0, 1, (byte)'m', (byte)'o', (byte)'o', (byte)'v' })]
    [InlineData(new byte[] { 0, 0, 0, 4, (byte)'f', (byte)'t', (byte)'y', (byte)'p', 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, (byte)'m', (byte)'o', (byte)'o', (byte)'v', 0, 0 })]
    public void TryReadDuration_Garbage_ReturnsNullWithoutThrowing(byte[] data) =>
        Assert.Null(Mp4Header.TryReadDuration(data, 0, out _));

    [Fact]
    public void IsMp4_OtherFormats_AreNot()
    {
        Assert.False(Mp4Header.IsMp4(SampleVideo.Input("sample-image.png")!.Value.Bytes));
        Assert.False(Mp4Header.IsMp4("<html>not a video</html>"u8));
    }

    /// <summary>The same boxes with moov moved after mdat, as a non-fast-start encoder writes them.</summary>
    internal static byte[] MoovLast(byte[] mp4)
    {
        var boxes = new List<(string Type, byte[] Bytes)>();
        for (var position = 0; position < mp4.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(mp4.AsSpan(position));
            boxes.Add((System.Text.Encoding.ASCII.GetString(mp4, position + 4, 4), mp4[position..(position + size)]));
            position += size;
        }

        return [.. boxes.Where(b => b.Type != "moov").SelectMany(b => b.Bytes), .. boxes.Single(b => b.Type == "moov").Bytes];
    }

    private static int MoovLength(byte[] mp4)
    {
        for (var position = 0; ;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(mp4.AsSpan(position));
            if (mp4.AsSpan(position + 4, 4).SequenceEqual("moov"u8))
            {
                return size;
            }

            position += size;
        }
    }
}
