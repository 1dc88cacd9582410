namespace VaceFunctions.Orchestrations.IO;

/// <summary>Reads untrusted bodies without ever holding more than a limit.</summary>
public static class BoundedReads
{
    /// <summary>
    /// Reads the whole stream if it has at most <paramref name="limit"/> bytes; null as soon as it has more, without
    /// reading the rest.
    /// </summary>
    public static async Task<byte[]?> ReadAtMostAsync(Stream stream, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        var chunk = new byte[Math.Min(16 * 1024, limit + 1)];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
