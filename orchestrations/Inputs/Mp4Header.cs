using System.Buffers.Binary;

namespace VaceFunctions.Orchestrations.Inputs;

/// <summary>
/// Just enough of the MP4 (ISO BMFF) box structure to tell an MP4 from other bytes and read its duration from
/// the movie header (moov/mvhd), from a few KB of ranged reads.
/// </summary>
public static class Mp4Header
{
    /// <summary>True when the data starts with an <c>ftyp</c> box, as every MP4 does.</summary>
    public static bool IsMp4(ReadOnlySpan<byte> start) => start.Length >= 12 && start.Slice(4, 4).SequenceEqual("ftyp"u8);

    /// <summary>
    /// Walks top-level boxes in <paramref name="data"/> (which begins at file offset <paramref name="offset"/>).
    /// Returns the duration when a complete moov box with an mvhd is found; otherwise null, with
    /// <paramref name="nextBoxOffset"/> the file offset of the first box that lies beyond the data (-1 at the end).
    /// </summary>
    public static TimeSpan? TryReadDuration(ReadOnlySpan<byte> data, long offset, out long nextBoxOffset)
    {
        var position = 0L;
        nextBoxOffset = -1;
        while (position + 8 <= data.Length)
        {
            var (size, headerLength) = BoxSize(data[(int)position..], out var type);
            if (size == 0)
            {
                return null;
            }

            if (type.SequenceEqual("moov"u8))
            {
                if (position + size > data.Length)
                {
                    nextBoxOffset = offset + position;
                    return null;
                }

                return FindMvhd(data.Slice((int)(position + headerLength), (int)(size - headerLength)));
            }

            position += size;
        }

        nextBoxOffset = position < long.MaxValue ? offset + position : -1;
        return null;
    }

    /// <summary>Reads a box header: its size (0 when malformed) and header length.</summary>
    private static (long Size, int HeaderLength) BoxSize(ReadOnlySpan<byte> box, out ReadOnlySpan<byte> type)
    {
        type = box.Slice(4, 4);
        long size = BinaryPrimitives.ReadUInt32BigEndian(box);
        var header = 8;
        if (size == 1)
        {
            if (box.Length < 16)
            {
                return (0, 0);
            }

            size = BinaryPrimitives.ReadInt64BigEndian(box[8..]);
            header = 16;
        }

        return size < header ? (0, 0) : (size, header);
    }

    private static TimeSpan? FindMvhd(ReadOnlySpan<byte> moov)
    {
        var position = 0;
        while (position + 8 <= moov.Length)
        {
            var (size, header) = BoxSize(moov[position..], out var type);
            if (size == 0 || position + size > moov.Length)
            {
                return null;
            }

            if (type.SequenceEqual("mvhd"u8))
            {
                var body = moov.Slice(position + header, (int)size - header);
                var version = body[0];
                uint timescale;
                ulong duration;
                if (version == 1 && body.Length >= 32)
                {
                    timescale = BinaryPrimitives.ReadUInt32BigEndian(body[20..]);
                    duration = BinaryPrimitives.ReadUInt64BigEndian(body[24..]);
                }
                else if (body.Length >= 20)
                {
                    timescale = BinaryPrimitives.ReadUInt32BigEndian(body[12..]);
                    duration = BinaryPrimitives.ReadUInt32BigEndian(body[16..]);
                }
                else
                {
                    return null;
                }

                return timescale == 0 ? null : TimeSpan.FromSeconds((double)duration / timescale);
            }

            position += (int)size;
        }

        return null;
    }
}
