using System.Buffers.Binary;

namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// The result video every succeeded task gets: the committed sample MP4 (made by scripts/make-sample-media.sh),
/// optionally padded to any size with a trailing MP4 <c>free</c> box, which players skip.
/// </summary>
public static class SampleVideo
{
    private static readonly Lazy<byte[]> Sample = new(() => Load("sample-output.mp4"));

    /// <summary>Sample inputs served under <c>/media/{name}</c>, for offline jobs whose media must be fetchable.</summary>
    private static readonly Dictionary<string, (Lazy<byte[]> Bytes, string ContentType)> Inputs = new(StringComparer.Ordinal)
    {
        ["sample-input.mp4"] = (new Lazy<byte[]>(() => Load("sample-input.mp4")), "video/mp4"),
        ["sample-output.mp4"] = (Sample, "video/mp4"),
        ["sample-image.png"] = (new Lazy<byte[]>(() => Load("sample-image.png")), "image/png"),
    };

    /// <summary>The sample MP4 as committed.</summary>
    public static ReadOnlyMemory<byte> Bytes => Sample.Value;

    /// <summary>The sample's duration in seconds, as reported in usage.video_duration.</summary>
    public const int DurationSeconds = 5;

    /// <summary>The sample's size, as reported in usage.video_ratio.</summary>
    public const string Ratio = "1280*720";

    /// <summary>
    /// The video as a seekable stream of <paramref name="size"/> bytes (the sample itself when the size is 0 or
    /// too small to hold a padding box).
    /// </summary>
    public static Stream Open(long size)
    {
        var sample = Sample.Value;
        return size < sample.Length + 16 ? new MemoryStream(sample, writable: false) : new PaddedStream(sample, size);
    }

    /// <summary>
    /// A sample input by name (<c>sample-input.mp4</c>: a 2 s clip; <c>sample-output.mp4</c>: 5 s;
    /// <c>sample-image.png</c>), or null.
    /// </summary>
    public static (byte[] Bytes, string ContentType)? Input(string name) =>
        Inputs.TryGetValue(name, out var input) ? (input.Bytes.Value, input.ContentType) : null;

    private static byte[] Load(string name)
    {
        using var resource = typeof(SampleVideo).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The resource {name} is missing from the simulator assembly.");
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The sample, then a 64-bit-size <c>free</c> box header, then zeros up to the length; made on the fly.</summary>
    private sealed class PaddedStream(byte[] sample, long length) : Stream
    {
        private readonly byte[] _boxHeader = BoxHeader(length - sample.Length);

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var total = (int)Math.Min(buffer.Length, Math.Max(0, length - Position));
            var written = 0;
            while (written < total)
            {
                var position = Position + written;
                var target = buffer[written..total];
                int n;
                if (position < sample.Length)
                {
                    n = Math.Min(target.Length, sample.Length - (int)position);
                    sample.AsSpan((int)position, n).CopyTo(target);
                }
                else if (position < sample.Length + _boxHeader.Length)
                {
                    var at = (int)(position - sample.Length);
                    n = Math.Min(target.Length, _boxHeader.Length - at);
                    _boxHeader.AsSpan(at, n).CopyTo(target);
                }
                else
                {
                    n = target.Length;
                    target.Clear();
                }

                written += n;
            }

            Position += total;
            return total;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => Position + offset,
                _ => length + offset,
            };
            return Position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private static byte[] BoxHeader(long boxSize)
        {
            // size = 1 means "the real size follows as 64 bits", so any padding length fits.
            var header = new byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(header, 1);
            "free"u8.CopyTo(header.AsSpan(4));
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(8), boxSize);
            return header;
        }
    }
}
