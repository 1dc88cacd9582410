using System.Net;
using Microsoft.Extensions.Options;
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

    [Fact]
    public void IsAllowed_WhenConfigured_LetsLoopbackOrPrivateNetworksThrough()
    {
        var loopback = Guard(new WorkflowOptions { AllowLoopbackUrls = true });
        var lan = Guard(new WorkflowOptions { AllowPrivateNetworkUrls = true });

        Assert.True(loopback.IsAllowed(IPAddress.Loopback));
        Assert.False(loopback.IsAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.True(lan.IsAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.False(lan.IsAllowed(IPAddress.Loopback));
    }

    private static UrlGuard Guard(WorkflowOptions options) => new(Options.Create(options));
}
