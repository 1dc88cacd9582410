using System.Net;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Inputs;

public class UrlGuardTests
{
    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("47.88.1.1", true)]
    [InlineData("2001:4860:4860::8888", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.2", false)]
    [InlineData("::1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    public void IsAllowed_ByDefault_OnlyPublicAddresses(string address, bool allowed) =>
        Assert.Equal(allowed, Guard(new WorkflowOptions()).IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("168.63.129.16")] // Azure's wire server
    [InlineData("100.100.100.200")] // Alibaba Cloud's metadata service
    [InlineData("169.254.169.254")]
    [InlineData("fd00:ec2::254")] // AWS's metadata service over IPv6
    [InlineData("fe80::1")]
    [InlineData("198.18.0.1")] // benchmarking, 198.18.0.0/15
    [InlineData("198.19.255.255")]
    [InlineData("192.0.0.170")] // IETF protocol assignments, 192.0.0.0/24
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("ff02::1")]
    [InlineData("64:ff9b:1::8.8.8.8")] // local-use NAT64
    [InlineData("::ffff:169.254.169.254")] // IPv4-mapped
    [InlineData("::169.254.169.254")] // IPv4-compatible
    [InlineData("::127.0.0.1")]
    [InlineData("::10.0.0.1")]
    [InlineData("::ffff:0:10.0.0.1")] // IPv4-translated
    [InlineData("64:ff9b::127.0.0.1")] // NAT64
    [InlineData("64:ff9b::a9fe:a9fe")] // NAT64 of 169.254.169.254
    [InlineData("64:ff9b::10.0.0.1")]
    [InlineData("2002:7f00:1::")] // 6to4 of 127.0.0.1
    [InlineData("2002:a9fe:a9fe::1")] // 6to4 of 169.254.169.254
    [InlineData("2002:c0a8:0101::")] // 6to4 of 192.168.1.1
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe")] // Teredo, client 127.0.0.1 (inverted)
    [InlineData("2001:0:a00:1:8000:63bf:3fd2:fbfe")] // Teredo via server 10.0.0.1
    public void IsAllowed_LinkLocalMetadataReservedAndEmbeddedInternalIPv4_RefusedWhateverIsAllowed(string address)
    {
        var everything = Guard(new WorkflowOptions { AllowLoopbackUrls = true, AllowPrivateNetworkUrls = true });

        Assert.False(everything.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("2002:0808:0808::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7")] // Teredo, client 8.8.8.8 via server 65.54.227.120
    public void IsAllowed_PublicIPv4InsideIPv6_IsPublic(string address) =>
        Assert.True(Guard(new WorkflowOptions()).IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void IsAllowed_WhenConfigured_LetsLoopbackOrPrivateNetworksThrough()
    {
        var loopback = Guard(new WorkflowOptions { AllowLoopbackUrls = true });
        var lan = Guard(new WorkflowOptions { AllowPrivateNetworkUrls = true });

        Assert.True(loopback.IsAllowed(IPAddress.Loopback));
        Assert.True(loopback.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(loopback.IsAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.True(lan.IsAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.True(lan.IsAllowed(IPAddress.Parse("fd12::1")));
        Assert.False(lan.IsAllowed(IPAddress.Loopback));
    }

    private static UrlGuard Guard(WorkflowOptions options) => new(Options.Create(options), Options.Create(new DashScopeOptions { ApiKey = "k" }));
}
