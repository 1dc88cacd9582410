using System.Text;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// A job document taken from a queue message, as either host receives it: plain JSON, or base64 of JSON (what the
/// Functions queue trigger and many SDKs write).
/// </summary>
public static class QueuedDocument
{
    /// <summary>The document: the message as it is, or base64-decoded when it is base64 of a JSON document.</summary>
    public static ReadOnlyMemory<byte> Decode(BinaryData body)
    {
        var bytes = body.ToMemory();
        if (LooksLikeJson(bytes.Span))
        {
            return bytes;
        }

        try
        {
            var decoded = Convert.FromBase64String(Encoding.ASCII.GetString(bytes.Span));
            return LooksLikeJson(decoded) ? decoded : bytes;
        }
        catch (FormatException)
        {
            return bytes;
        }
    }

    private static bool LooksLikeJson(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[Encoding.UTF8.Preamble.Length..];
        }

        bytes = bytes.TrimStart(" \t\r\n"u8);
        return bytes.StartsWith("{"u8) || bytes.StartsWith("["u8);
    }
}
