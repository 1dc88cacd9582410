using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Inputs;

/// <summary>
/// Which addresses the workflow may fetch from or post to (input media, result videos, callbacks): public ones,
/// plus loopback or private networks only when configured. Link-local, cloud metadata (169.254.169.254, Azure's
/// 168.63.129.16, Alibaba's 100.100.100.200, fd00:ec2::254), multicast, reserved and unspecified addresses are
/// never used, and an IPv4 address carried inside an IPv6 one (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) is
/// judged as that IPv4 address. Checked when each connection is opened, on the resolved address, so a name that
/// resolves (or re-resolves) to an internal address is refused too, and so is every hop of a redirect: each new
/// origin needs a new connection. The HTTP clients that use it ignore proxies, which would connect for them.
/// </summary>
/// <remarks>
/// Downloads (probes, result copies) may also reach, on loopback, the origins the host itself is configured with —
/// exactly their scheme, host and port, as the request names them: the DashScope base URL (the local simulator serves
/// sample media and result videos there) and the storage account's blob endpoint (Azurite, serving inbox media).
/// Callbacks may not.
/// </remarks>
/// <param name="options">The workflow's address settings.</param>
/// <param name="dashScope">The DashScope base URL.</param>
/// <param name="blobs">The host's storage account, when it has one.</param>
public sealed class UrlGuard(IOptions<WorkflowOptions> options, IOptions<DashScopeOptions> dashScope, BlobServiceClient? blobs = null)
{
    /// <summary>Addresses no setting opens: link-local and metadata, unspecified, multicast, reserved, documentation.</summary>
    private static readonly IPNetwork[] Never =
    [
        .. new[]
        {
            "0.0.0.0/8", "169.254.0.0/16", "168.63.129.16/32", "100.100.100.200/32", "192.0.0.0/24", "192.0.2.0/24",
            "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
            "::/128", "fe80::/10", "fd00:ec2::254/128", "ff00::/8", "100::/64", "2001:db8::/32", "64:ff9b:1::/48",
        }.Select(IPNetwork.Parse),
    ];

    private static readonly IPNetwork[] Private =
    [
        .. new[] { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10" }.Select(IPNetwork.Parse),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");
    private static readonly IPNetwork IPv4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork IPv4Translated = IPNetwork.Parse("::ffff:0:0:0/96");

    /// <summary>What an address is, for the rules above.</summary>
    public enum AddressKind
    {
        Public,
        Loopback,
        Private,

        /// <summary>Link-local, metadata, unspecified, multicast or reserved; or an internal IPv4 address inside an IPv6 one.</summary>
        Forbidden,
    }

    /// <summary>True when any connection may go to the address, whatever its origin.</summary>
    public bool IsAllowed(IPAddress address) => IsAllowed(Classify(address), ownOrigin: false);

    /// <summary>Classifies an address; an IPv4 address inside an IPv6 one is judged by the IPv4 address.</summary>
    public static AddressKind Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        if (IPAddress.IsLoopback(address))
        {
            return AddressKind.Loopback;
        }

        if (Never.Any(n => n.Contains(address)))
        {
            return AddressKind.Forbidden;
        }

        if (EmbeddedIPv4(address) is { } embedded)
        {
            // Reaching these goes through a translator or relay to the IPv4 address; only a public one is fine.
            return embedded.All(a => Classify(a) == AddressKind.Public) ? AddressKind.Public : AddressKind.Forbidden;
        }

        return Private.Any(n => n.Contains(address)) ? AddressKind.Private : AddressKind.Public;
    }

    /// <summary>Opens a connection for a download (media probe, result copy), refusing addresses that are not allowed.</summary>
    public ValueTask<Stream> ConnectForDownloadAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        ConnectAsync(context, download: true, cancellationToken);

    /// <summary>Opens a connection for a callback, refusing addresses that are not allowed.</summary>
    public ValueTask<Stream> ConnectForCallbackAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        ConnectAsync(context, download: false, cancellationToken);

    /// <summary>True for the failure of a request whose connection this guard refused: it stays refused.</summary>
    public static bool IsRefusal(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is UrlRefusedException)
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool download, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.DnsEndPoint;

        // The handlers use no proxy, so the endpoint is the request's own host and port.
        var ownOrigin = download && IsOwnOrigin(context.InitialRequestMessage.RequestUri, endpoint);
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal]
            : IsLocalhostName(endpoint.Host) ? [IPAddress.Loopback, IPAddress.IPv6Loopback]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(a => IsAllowed(Classify(a), ownOrigin)).ToArray();
        if (allowed.Length == 0)
        {
            throw new UrlRefusedException(
                $"Refusing to connect to {endpoint.Host}: it resolves only to loopback, private, link-local, metadata or reserved addresses (see Vace:AllowLoopbackUrls and Vace:AllowPrivateNetworkUrls).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool IsAllowed(AddressKind kind, bool ownOrigin) => kind switch
    {
        AddressKind.Public => true,
        AddressKind.Loopback => options.Value.AllowLoopbackUrls || ownOrigin,
        AddressKind.Private => options.Value.AllowPrivateNetworkUrls,
        _ => false,
    };

    /// <summary>Exactly the scheme, host (as written, not as resolved) and port of the DashScope base URL or the blob endpoint.</summary>
    private bool IsOwnOrigin(Uri? request, DnsEndPoint endpoint) =>
        request is not null && new[] { dashScope.Value.EffectiveBaseUrl, blobs?.Uri }.Any(own => own is not null
            && string.Equals(request.Scheme, own.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(endpoint.Host.Trim('[', ']'), own.IdnHost.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            && endpoint.Port == own.Port);

    /// <summary>
    /// <c>localhost</c> and its subdomains, with or without the final dot, are loopback whatever a resolver says
    /// (RFC 6761), so their refusal does not depend on the machine's resolver.
    /// </summary>
    private static bool IsLocalhostName(string host)
    {
        var name = host.TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The IPv4 addresses an IPv6 address carries (IPv4-compatible or -translated, NAT64, 6to4, Teredo), or null.</summary>
    private static IPAddress[]? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var bytes = address.GetAddressBytes();
        if (IPv4Compatible.Contains(address) || IPv4Translated.Contains(address) || Nat64.Contains(address))
        {
            return [new IPAddress(bytes.AsSpan(12, 4))];
        }

        if (SixToFour.Contains(address))
        {
            return [new IPAddress(bytes.AsSpan(2, 4))];
        }

        if (Teredo.Contains(address))
        {
            // The Teredo server, and the client's public address (stored inverted).
            var client = bytes[12..16].Select(b => (byte)~b).ToArray();
            return [new IPAddress(bytes.AsSpan(4, 4)), new IPAddress(client)];
        }

        return null;
    }
}
