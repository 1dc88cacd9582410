using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Inputs;

/// <summary>
/// Which addresses the workflow may fetch from or post to (input media, result videos, callbacks): public ones,
/// plus loopback or private networks only when configured. Checked when each connection is opened, on the
/// resolved address, so a name that resolves (or re-resolves) to an internal address is refused too.
/// </summary>
public sealed class UrlGuard(IOptions<WorkflowOptions> options)
{
    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return options.Value.AllowLoopbackUrls;
        }

        var isPrivate = address.AddressFamily == AddressFamily.InterNetworkV6
            ? address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.Equals(IPAddress.IPv6Any)
            : IsPrivateV4(address.GetAddressBytes());
        return !isPrivate || options.Value.AllowPrivateNetworkUrls;
    }

    /// <summary>Opens a connection for an HTTP handler, refusing addresses that are not allowed.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(
                $"Refusing to connect to {host}: it resolves only to loopback, private or link-local addresses (see Vace:AllowLoopbackUrls and Vace:AllowPrivateNetworkUrls).",
                null,
                HttpStatusCode.Forbidden);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True for the failure of a request whose connection this guard refused: it stays refused.</summary>
    public static bool IsRefusal(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is HttpRequestException { StatusCode: HttpStatusCode.Forbidden })
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPrivateV4(byte[] b) =>
        b[0] == 10
        || b[0] == 0
        || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
        || (b[0] == 192 && b[1] == 168)
        || (b[0] == 169 && b[1] == 254)
        || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
        || b[0] >= 224;
}
