using System.Net;
using System.Net.Sockets;
using VaceFunctions.Local.Tests.Workflow;

namespace VaceFunctions.Local.Tests.Engine;

/// <summary>The embedded engine is reachable from its own process only, whatever the environment says.</summary>
public sealed class EngineIsolationTests
{
    [Fact]
    public async Task Serve_WithKestrelEndpointsInTheEnvironment_ExposesNoEngineOnTheNetwork()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        var (api, trap) = (HostProcess.FreePort(), HostProcess.FreePort());
        var settings = host.ProcessSettings("isolated-host");
        settings["ASPNETCORE_Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{trap}";
        settings["ASPNETCORE_URLS"] = $"http://127.0.0.1:{trap}";

        using var process = HostProcess.Start(api, settings);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!await AnswersAsync(http, api))
        {
            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "the host never answered");
            await Task.Delay(200);
        }

        using var client = new TcpClient();
        var refused = await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, trap));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        var folder = Assert.Single(Directory.EnumerateDirectories(Path.GetTempPath(), $"vace-engine-{process.Id}-*"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, new DirectoryInfo(folder).UnixFileMode);
    }

    private static async Task<bool> AnswersAsync(HttpClient http, int port)
    {
        try
        {
            return (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/openapi/v1.json"))).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
